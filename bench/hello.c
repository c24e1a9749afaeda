/*
 * hello: the floor of `make bench` (issue 6). A trivial libfcgi responder
 * that answers every request with a fixed JSON body of about 200 bytes,
 * started as the programs are (spawn-fcgi, multiwatch, a Unix socket) and
 * reached through the same nginx server block and TLS. Whatever an
 * endpoint costs beyond this is jwtauth's own work.
 */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "{\"Id\":1,\"Name\":\"Product A\",\"Description\":\"Test Product A\",\"Price\":10.00,"
    "\"Note\":\"bench floor: a fixed answer from a trivial FastCGI responder, "
    "no parsing, no database, no cryptography.\",\"Pad\":\"0123456789abcdef\"}";

int
main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("hello: FastCGI initialisation failed\n", stderr);
		return 1;
	}
	/* spawn-fcgi passes the listening socket as fd 0; SIGUSR1 (multiwatch's
	 * graceful stop) makes FCGX_Accept_r fail. */
	while (FCGX_Accept_r(&req) == 0) {
		FCGX_PutStr(answer, (int)(sizeof(answer) - 1), req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 0);
	return 0;
}
