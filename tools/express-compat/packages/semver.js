// semver: ranges, comparison, coercion, and Node's own version.
module.exports = () => {
  const semver = require("semver");
  return {
    satisfies: semver.satisfies("1.2.3", "^1.0.0 || >=2.0.0"),
    node18: semver.satisfies(process.version, ">=18"),
    max: semver.maxSatisfying(["1.2.3", "1.4.0", "2.0.0-beta.1"], "~1.2 || ^1.3"),
    inc: [semver.inc("1.2.3", "minor"), semver.inc("1.2.3-rc.1", "prerelease")],
    coerce: semver.coerce("v3.4 beta").version,
    sorted: semver.sort(["1.10.0", "1.2.0", "1.2.0-alpha"]),
    valid: semver.valid("a.b.c"),
  };
};
