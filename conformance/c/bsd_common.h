/*
 * Shared helpers for the BSD backend scenarios (bsd_*.c): requests whose
 * callbacks only record their results (printed by the scenario once it has
 * waited for them, so the order in which the kernel and Node.js deliver
 * events never shows), errno names, and addresses with run-dependent parts
 * (ports, the temporary directory) normalised.
 */
#ifndef CONFORMANCE_BSD_COMMON_H
#define CONFORMANCE_BSD_COMMON_H

#include "common.h"
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <tsocket.h>

#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

static struct tevent_context *ev;
static TALLOC_CTX *mem;
static char tmpdir[128];

static const char *errname(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "0";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EPIPE: return "EPIPE";
	case ENOTCONN: return "ENOTCONN";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case ENOENT: return "ENOENT";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRINUSE: return "EADDRINUSE";
	case EISCONN: return "EISCONN";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	case ENETUNREACH: return "ENETUNREACH";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPERM: return "EPERM";
	case EMSGSIZE: return "EMSGSIZE";
	case EBADF: return "EBADF";
	case EIO: return "EIO";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/* printable bytes: letters/digits as is, the rest as \xNN */
static const char *show(const uint8_t *p, size_t n)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];
	size_t i, o = 0;
	if (p == NULL) {
		return "NULL";
	}
	b[o++] = '"';
	for (i = 0; i < n && o < 480; i++) {
		if (p[i] >= 0x21 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			b[o++] = p[i];
		} else {
			o += sprintf(b + o, "\\x%02x", p[i]);
		}
	}
	b[o++] = '"';
	b[o] = 0;
	return b;
}

/*
 * An address string with the temporary directory as <dir> and a non-zero
 * inet port as <port>.
 */
static const char *norm(const char *s)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];
	const char *colon;
	size_t dl = strlen(tmpdir);
	if (s == NULL) {
		return "NULL";
	}
	if (dl > 0 && strncmp(s, "unix:", 5) == 0 && strncmp(s + 5, tmpdir, dl) == 0) {
		snprintf(b, 512, "unix:<dir>%s", s + 5 + dl);
		return b;
	}
	colon = strrchr(s, ':');
	if ((strncmp(s, "ipv4:", 5) == 0 || strncmp(s, "ipv6:", 5) == 0) && colon != NULL &&
	    strcmp(colon, ":0") != 0) {
		snprintf(b, 512, "%.*s:<port>", (int)(colon - s), s);
		return b;
	}
	snprintf(b, 512, "%s", s);
	return b;
}

static const char *astr(const struct tsocket_address *a)
{
	char *s;
	if (a == NULL) {
		return "NULL";
	}
	s = tsocket_address_string(a, mem);
	return norm(s);
}

static struct tsocket_address *inet(const char *fam, const char *ip, uint16_t port)
{
	struct tsocket_address *a = NULL;
	int ret = tsocket_address_inet_from_strings(mem, fam, ip, port, &a);
	if (ret != 0) {
		T("inet_from_strings %s failed", ip);
		exit(1);
	}
	return a;
}

/* a unix address inside the temporary directory ("" for an unbound one) */
static struct tsocket_address *unixa(const char *name)
{
	struct tsocket_address *a = NULL;
	char p[256];
	if (name[0] == 0) {
		p[0] = 0;
	} else {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	}
	if (tsocket_address_unix_from_path(mem, p, &a) != 0) {
		T("unix_from_path %s failed", p);
		exit(1);
	}
	return a;
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bsd-conf-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static void rm_tmpdir(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0) {
		perror("rm");
	}
}

enum op_kind { OP_READV, OP_WRITEV, OP_DISC, OP_TCP_CONNECT, OP_UNIX_CONNECT,
	       OP_RECVFROM, OP_SENDTO, OP_DDISC, OP_TIMER };

struct op {
	const char *label;
	enum op_kind kind;
	struct tevent_req *req;
	bool done;
	int ret;
	int perrno;
	uint8_t a[16], b[16];
	size_t la, lb;
	struct tstream_context *stream;
	struct tsocket_address *addr;
	uint8_t *buf;
	TALLOC_CTX *recv_ctx;
};

static struct op ops[64];
static int nops;

static struct op *new_op(const char *label, enum op_kind kind)
{
	struct op *o = &ops[nops++ % 64];
	memset(o, 0, sizeof(*o));
	o->label = label;
	o->kind = kind;
	o->recv_ctx = mem;
	return o;
}

static void op_cb(struct tevent_req *req)
{
	struct op *o = (struct op *)tevent_req_callback_data_void(req);
	o->done = true;
	o->perrno = 0;
	switch (o->kind) {
	case OP_READV:
		o->ret = tstream_readv_recv(req, &o->perrno);
		break;
	case OP_WRITEV:
		o->ret = tstream_writev_recv(req, &o->perrno);
		break;
	case OP_DISC:
		o->ret = tstream_disconnect_recv(req, &o->perrno);
		break;
	case OP_TCP_CONNECT:
		o->ret = tstream_inet_tcp_connect_recv(req, &o->perrno, o->recv_ctx,
						       &o->stream, &o->addr);
		break;
	case OP_UNIX_CONNECT:
		o->ret = tstream_unix_connect_recv(req, &o->perrno, o->recv_ctx, &o->stream);
		break;
	case OP_RECVFROM:
		o->ret = tdgram_recvfrom_recv(req, &o->perrno, o->recv_ctx, &o->buf, &o->addr);
		break;
	case OP_SENDTO:
		o->ret = tdgram_sendto_recv(req, &o->perrno);
		break;
	case OP_DDISC:
		o->ret = tdgram_disconnect_recv(req, &o->perrno);
		break;
	case OP_TIMER:
		break;
	}
	talloc_free(req);
	o->req = NULL;
}

static void op_set(struct op *o, struct tevent_req *req)
{
	o->req = req;
	reg_auto(req, o->label);
	tevent_req_set_callback(req, op_cb, o);
}

static struct op *rv(const char *label, struct tstream_context *s, size_t la, size_t lb)
{
	struct op *o = new_op(label, OP_READV);
	struct iovec v[2];
	o->la = la;
	o->lb = lb;
	v[0].iov_base = o->a;
	v[0].iov_len = la;
	v[1].iov_base = o->b;
	v[1].iov_len = lb;
	T("readv_send %s on %s (%zu,%zu)", label, nm(s), la, lb);
	op_set(o, tstream_readv_send(mem, ev, s, v, 2));
	return o;
}

static struct op *wv(const char *label, struct tstream_context *s, const char *x, const char *y)
{
	struct op *o = new_op(label, OP_WRITEV);
	struct iovec v[2];
	v[0].iov_base = (void *)x;
	v[0].iov_len = strlen(x);
	v[1].iov_base = (void *)y;
	v[1].iov_len = strlen(y);
	T("writev_send %s on %s \"%s\"+\"%s\"", label, nm(s), x, y);
	op_set(o, tstream_writev_send(mem, ev, s, v, 2));
	return o;
}

static struct op *dc(const char *label, struct tstream_context *s)
{
	struct op *o = new_op(label, OP_DISC);
	T("disconnect_send %s on %s", label, nm(s));
	op_set(o, tstream_disconnect_send(mem, ev, s));
	return o;
}

static struct op *rf(const char *label, struct tdgram_context *d)
{
	struct op *o = new_op(label, OP_RECVFROM);
	T("recvfrom_send %s on %s", label, nm(d));
	op_set(o, tdgram_recvfrom_send(mem, ev, d));
	return o;
}

static struct op *st(const char *label, struct tdgram_context *d, const char *s,
		     const struct tsocket_address *dst)
{
	struct op *o = new_op(label, OP_SENDTO);
	T("sendto_send %s on %s \"%s\" dst=%s", label, nm(d), s, astr(dst));
	op_set(o, tdgram_sendto_send(mem, ev, d, (const uint8_t *)s, strlen(s), dst));
	return o;
}

static struct op *ddc(const char *label, struct tdgram_context *d)
{
	struct op *o = new_op(label, OP_DDISC);
	T("disconnect_send %s on %s", label, nm(d));
	op_set(o, tdgram_disconnect_send(mem, ev, d));
	return o;
}

static void wait_op(struct op *o)
{
	while (!o->done) {
		if (tevent_loop_once(ev) != 0) {
			T("tevent_loop_once failed");
			exit(1);
		}
	}
}

/* wait for the request, then print its result */
static void fin(struct op *o)
{
	wait_op(o);
	switch (o->kind) {
	case OP_READV:
		T("%s readv ret=%d perrno=%s a=%s b=%s", o->label, o->ret, errname(o->perrno),
		  show(o->a, o->la), show(o->b, o->lb));
		break;
	case OP_WRITEV:
		T("%s writev ret=%d perrno=%s", o->label, o->ret, errname(o->perrno));
		break;
	case OP_DISC:
	case OP_DDISC:
		T("%s disconnect ret=%d perrno=%s", o->label, o->ret, errname(o->perrno));
		break;
	case OP_TCP_CONNECT:
		T("%s connect ret=%d perrno=%s stream=%s local=%s", o->label, o->ret,
		  errname(o->perrno), o->stream ? "yes" : "NULL", astr(o->addr));
		break;
	case OP_UNIX_CONNECT:
		T("%s connect ret=%d perrno=%s stream=%s", o->label, o->ret,
		  errname(o->perrno), o->stream ? "yes" : "NULL");
		break;
	case OP_RECVFROM:
		T("%s recvfrom ret=%d perrno=%s buf=%s src=%s", o->label, o->ret,
		  errname(o->perrno), o->ret > 0 ? show(o->buf, o->ret) : "NULL", astr(o->addr));
		break;
	case OP_SENDTO:
		T("%s sendto ret=%d perrno=%s", o->label, o->ret, errname(o->perrno));
		break;
	case OP_TIMER:
		break;
	}
}

static void pending(struct tstream_context *s)
{
	ssize_t n;
	errno = 0;
	n = tstream_pending_bytes(s);
	T("pending_bytes %s ret=%zd%s%s", nm(s), n, n == -1 ? " errno=" : "",
	  n == -1 ? errname(errno) : "");
}

static void timer_cb(struct tevent_context *e, struct tevent_timer *te,
		     struct timeval now, void *p)
{
	*(bool *)p = true;
}

/* let the loop run for ms milliseconds (what the peer did arrives) */
static void settle(int ms)
{
	bool fired = false;
	tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, ms * 1000), timer_cb, &fired);
	while (!fired) {
		tevent_loop_once(ev);
	}
}

/* a request freed or still waiting: its state, and whether its callback ran */
static void show_req(struct op *o)
{
	T("%s callback_called=%d", o->label, o->done);
}

#endif
