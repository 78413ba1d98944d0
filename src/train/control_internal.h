/* Helpers shared by the control socket's server (control.c), its protocol
 * (control_protocol.c) and its client (control_client.c). Not public API. */
#ifndef AGENTFT_CONTROL_INTERNAL_H
#define AGENTFT_CONTROL_INTERNAL_H

#include <sys/un.h>

#include "agentft/control.h"
#include "agentft/error.h"

/* One reply line, newline included: {"ok":false,"error":ERROR} when error is
 * set, else {"ok":true,FIELDS}. malloc'd; NULL only when out of memory. */
char *ctl_reply_line(const char *error, const char *fields);

/* Fills addr for the socket at path; -1 with err set when the path is empty
 * or too long for a Unix socket. */
int ctl_fill_addr(struct sockaddr_un *addr, const char *path, aft_error *err);

#endif
