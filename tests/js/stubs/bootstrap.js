// Stand-in for hbf:bootstrap in the engine tests.
globalThis.__booted = true;
