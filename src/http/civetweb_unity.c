/* CivetWeb, compiled as part of HBF's HTTP adapter.
 *
 * civetweb.c is included whole (from Debian's source package, unmodified) so
 * that the one thing its public API lacks can be added here, with access to
 * its private connection struct: telling it to close a connection after the
 * response we wrote ourselves (413, malformed request, draining). Without it,
 * CivetWeb would read and discard an oversized body before closing. */
#include "civetweb.c"

void hbf_mg_close_after_response(struct mg_connection *conn)
{
	if (conn != NULL) {
		conn->must_close = 1;
	}
}
