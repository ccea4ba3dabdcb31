/*
 * In-memory test doubles written against tsocket_internal.h, shared by the
 * tsocket generic-layer, PDU and queue scenarios (TS twin: ts/memstream.ts).
 *
 * memstream: a connected pair of tstreams.  Bytes written on one end are
 * appended to a pipe the other end reads.  readv fills the caller's iovecs
 * and completes (from an immediate) only when all of them are full; writev
 * appends everything at once and completes through tevent_req_post.
 * disconnect marks the end closed and signals EOF to the peer (a reader
 * then fails with EPIPE once the pipe is empty).
 *
 * memdgram: a connected pair of tdgrams; sendto queues a copy of the
 * datagram (with the sender's address as src) on the peer, recvfrom pops
 * one (from an immediate).
 *
 * Every op prints one "op ..." line so the scenarios show what the generic
 * layer asked of the implementation and when its sub-requests died.
 */
#ifndef CONFORMANCE_MEMSTREAM_H
#define CONFORMANCE_MEMSTREAM_H

#include "common.h"
#include <sys/uio.h>
#include <tsocket.h>
#include <tsocket_internal.h>

static const char *errname(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "0";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EPIPE: return "EPIPE";
	case ENOTCONN: return "ENOTCONN";
	case EPROTO: return "EPROTO";
	case EMSGSIZE: return "EMSGSIZE";
	case EIO: return "EIO";
	case ENOMEM: return "ENOMEM";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EBADF: return "EBADF";
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

/* a child of an op request announcing when the request itself is freed */
struct op_tag {
	const char *what;
	const char *name;
};

static int op_tag_destructor(struct op_tag *t)
{
	T("op %s %s freed", t->what, t->name);
	return 0;
}

static void op_tag(struct tevent_req *req, const char *what, const char *name)
{
	struct op_tag *t = talloc(req, struct op_tag);
	t->what = what;
	t->name = name;
	talloc_set_destructor(t, op_tag_destructor);
}

/* ---------------------------------------------------------------- stream */

struct mem_pipe {
	uint8_t data[4096];
	size_t len;
	bool eof;
	struct tevent_req *reader; /* the op readv request waiting on this pipe */
};

struct memstream {
	const char *name;
	struct mem_pipe *in;  /* what this end reads */
	struct mem_pipe *out; /* what the peer reads */
	bool disconnected;
};

static ssize_t ms_pending_bytes(struct tstream_context *stream)
{
	struct memstream *ms = tstream_context_data(stream, struct memstream);
	if (ms->disconnected) {
		T("op pending_bytes %s -> -1 ENOTCONN", ms->name);
		errno = ENOTCONN;
		return -1;
	}
	T("op pending_bytes %s -> %zu", ms->name, ms->in->len);
	return ms->in->len;
}

struct ms_readv_state {
	const char *name;
	struct mem_pipe *pipe;
	struct tevent_context *ev;
	struct tevent_immediate *im;
	struct iovec *vector;
	size_t count;
	size_t want;
	size_t got;
};

static int ms_readv_state_destructor(struct ms_readv_state *s)
{
	if (s->pipe->reader != NULL &&
	    tevent_req_data(s->pipe->reader, struct ms_readv_state) == s) {
		s->pipe->reader = NULL;
	}
	return 0;
}

static void ms_readv_fill(struct tevent_context *ev, struct tevent_immediate *im, void *pvt)
{
	struct tevent_req *req = (struct tevent_req *)pvt;
	struct ms_readv_state *s = tevent_req_data(req, struct ms_readv_state);
	size_t n = 0;

	while (s->count > 0 && s->pipe->len > 0) {
		size_t c = s->vector[0].iov_len;
		if (c > s->pipe->len) {
			c = s->pipe->len;
		}
		memcpy(s->vector[0].iov_base, s->pipe->data, c);
		memmove(s->pipe->data, s->pipe->data + c, s->pipe->len - c);
		s->pipe->len -= c;
		s->vector[0].iov_base = (uint8_t *)s->vector[0].iov_base + c;
		s->vector[0].iov_len -= c;
		n += c;
		if (s->vector[0].iov_len == 0) {
			s->vector++;
			s->count--;
		}
	}
	s->got += n;
	T("op readv %s fill +%zu -> %zu/%zu", s->name, n, s->got, s->want);
	if (s->got == s->want) {
		s->pipe->reader = NULL;
		tevent_req_done(req);
		return;
	}
	if (s->pipe->len == 0 && s->pipe->eof) {
		s->pipe->reader = NULL;
		tevent_req_error(req, EPIPE);
		return;
	}
}

static void ms_wake(struct mem_pipe *p)
{
	struct ms_readv_state *s;
	if (p->reader == NULL) {
		return;
	}
	s = tevent_req_data(p->reader, struct ms_readv_state);
	tevent_schedule_immediate(s->im, s->ev, ms_readv_fill, p->reader);
}

static struct tevent_req *ms_readv_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
					struct tstream_context *stream,
					struct iovec *vector, size_t count)
{
	struct memstream *ms = tstream_context_data(stream, struct memstream);
	struct ms_readv_state *s;
	struct tevent_req *req = tevent_req_create(mem_ctx, &s, struct ms_readv_state);
	size_t i;

	s->name = ms->name;
	s->pipe = ms->in;
	s->ev = ev;
	s->im = tevent_create_immediate(s);
	s->vector = talloc_memdup(s, vector, count * sizeof(struct iovec));
	s->count = count;
	for (i = 0; i < count; i++) {
		s->want += vector[i].iov_len;
	}
	T("op readv %s count=%zu want=%zu pending=%zu", ms->name, count, s->want, ms->in->len);
	talloc_set_destructor(s, ms_readv_state_destructor);
	op_tag(req, "readv", s->name);
	if (ms->disconnected) {
		tevent_req_error(req, ENOTCONN);
		return tevent_req_post(req, ev);
	}
	s->pipe->reader = req;
	if (s->pipe->len > 0 || s->pipe->eof) {
		ms_wake(s->pipe);
	}
	return req;
}

static int ms_readv_recv(struct tevent_req *req, int *perrno)
{
	struct ms_readv_state *s = tevent_req_data(req, struct ms_readv_state);
	int ret = tsocket_simple_int_recv(req, perrno);
	if (ret == 0) {
		ret = s->want;
	}
	T("op readv_recv %s -> %d", s->name, ret);
	tevent_req_received(req);
	return ret;
}

struct ms_writev_state {
	const char *name;
	int ret;
};

static struct tevent_req *ms_writev_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
					 struct tstream_context *stream,
					 const struct iovec *vector, size_t count)
{
	struct memstream *ms = tstream_context_data(stream, struct memstream);
	struct ms_writev_state *s;
	struct tevent_req *req = tevent_req_create(mem_ctx, &s, struct ms_writev_state);
	size_t i, total = 0;

	s->name = ms->name;
	op_tag(req, "writev", s->name);
	for (i = 0; i < count; i++) {
		total += vector[i].iov_len;
	}
	T("op writev %s count=%zu bytes=%zu", ms->name, count, total);
	if (ms->disconnected) {
		tevent_req_error(req, ENOTCONN);
		return tevent_req_post(req, ev);
	}
	for (i = 0; i < count; i++) {
		memcpy(ms->out->data + ms->out->len, vector[i].iov_base, vector[i].iov_len);
		ms->out->len += vector[i].iov_len;
	}
	s->ret = total;
	ms_wake(ms->out);
	tevent_req_done(req);
	return tevent_req_post(req, ev);
}

static int ms_writev_recv(struct tevent_req *req, int *perrno)
{
	struct ms_writev_state *s = tevent_req_data(req, struct ms_writev_state);
	int ret = tsocket_simple_int_recv(req, perrno);
	if (ret == 0) {
		ret = s->ret;
	}
	T("op writev_recv %s -> %d", s->name, ret);
	tevent_req_received(req);
	return ret;
}

struct ms_disconnect_state {
	const char *name;
};

static struct tevent_req *ms_disconnect_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
					     struct tstream_context *stream)
{
	struct memstream *ms = tstream_context_data(stream, struct memstream);
	struct ms_disconnect_state *s;
	struct tevent_req *req = tevent_req_create(mem_ctx, &s, struct ms_disconnect_state);

	s->name = ms->name;
	op_tag(req, "disconnect", s->name);
	T("op disconnect %s", ms->name);
	if (ms->disconnected) {
		tevent_req_error(req, ENOTCONN);
		return tevent_req_post(req, ev);
	}
	ms->disconnected = true;
	ms->out->eof = true;
	ms_wake(ms->out);
	tevent_req_done(req);
	return tevent_req_post(req, ev);
}

static int ms_disconnect_recv(struct tevent_req *req, int *perrno)
{
	struct ms_disconnect_state *s = tevent_req_data(req, struct ms_disconnect_state);
	int ret = tsocket_simple_int_recv(req, perrno);
	T("op disconnect_recv %s -> %d", s->name, ret);
	tevent_req_received(req);
	return ret;
}

static const struct tstream_context_ops memstream_ops = {
	.name = "memstream",
	.pending_bytes = ms_pending_bytes,
	.readv_send = ms_readv_send,
	.readv_recv = ms_readv_recv,
	.writev_send = ms_writev_send,
	.writev_recv = ms_writev_recv,
	.disconnect_send = ms_disconnect_send,
	.disconnect_recv = ms_disconnect_recv,
};

/* a connected pair: the pipes belong to pipes_ctx, each end to its mem_ctx */
static __attribute__((unused)) void memstream_pair(TALLOC_CTX *pipes_ctx, TALLOC_CTX *mem_ctx,
			   const char *n1, const char *n2,
			   struct tstream_context **s1, struct tstream_context **s2)
{
	struct mem_pipe *a = talloc_zero(pipes_ctx, struct mem_pipe);
	struct mem_pipe *b = talloc_zero(pipes_ctx, struct mem_pipe);
	struct memstream *m1, *m2;

	*s1 = tstream_context_create(mem_ctx, &memstream_ops, &m1, struct memstream, __location__);
	*s2 = tstream_context_create(mem_ctx, &memstream_ops, &m2, struct memstream, __location__);
	m1->name = n1;
	m1->in = a;
	m1->out = b;
	m1->disconnected = false;
	m2->name = n2;
	m2->in = b;
	m2->out = a;
	m2->disconnected = false;
	reg_auto(*s1, n1);
	reg_auto(*s2, n2);
}

/* ---------------------------------------------------------------- dgram */

struct mem_dmsg {
	struct mem_dmsg *next;
	uint8_t *buf;
	size_t len;
	struct tsocket_address *src;
};

struct mem_dq {
	struct mem_dmsg *head;
	struct tevent_req *reader;
};

struct memdgram {
	const char *name;
	struct tsocket_address *local;
	struct mem_dq *in;
	struct mem_dq *out;
	bool disconnected;
};

struct md_recvfrom_state {
	const char *name;
	struct mem_dq *q;
	struct tevent_context *ev;
	struct tevent_immediate *im;
	uint8_t *buf;
	size_t len;
	struct tsocket_address *src;
};

static int md_recvfrom_state_destructor(struct md_recvfrom_state *s)
{
	if (s->q->reader != NULL &&
	    tevent_req_data(s->q->reader, struct md_recvfrom_state) == s) {
		s->q->reader = NULL;
	}
	return 0;
}

static void md_recvfrom_pop(struct tevent_context *ev, struct tevent_immediate *im, void *pvt)
{
	struct tevent_req *req = (struct tevent_req *)pvt;
	struct md_recvfrom_state *s = tevent_req_data(req, struct md_recvfrom_state);
	struct mem_dmsg *m = s->q->head;

	s->q->head = m->next;
	s->q->reader = NULL;
	s->buf = talloc_steal(s, m->buf);
	s->len = m->len;
	s->src = talloc_steal(s, m->src);
	talloc_free(m);
	T("op recvfrom %s pop len=%zu", s->name, s->len);
	tevent_req_done(req);
}

static void md_wake(struct mem_dq *q)
{
	struct md_recvfrom_state *s;
	if (q->reader == NULL || q->head == NULL) {
		return;
	}
	s = tevent_req_data(q->reader, struct md_recvfrom_state);
	tevent_schedule_immediate(s->im, s->ev, md_recvfrom_pop, q->reader);
}

static struct tevent_req *md_recvfrom_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
					   struct tdgram_context *dgram)
{
	struct memdgram *md = tdgram_context_data(dgram, struct memdgram);
	struct md_recvfrom_state *s;
	struct tevent_req *req = tevent_req_create(mem_ctx, &s, struct md_recvfrom_state);

	s->name = md->name;
	s->q = md->in;
	s->ev = ev;
	s->im = tevent_create_immediate(s);
	talloc_set_destructor(s, md_recvfrom_state_destructor);
	op_tag(req, "recvfrom", s->name);
	T("op recvfrom %s queued=%d", md->name, md->in->head != NULL);
	if (md->disconnected) {
		tevent_req_error(req, ENOTCONN);
		return tevent_req_post(req, ev);
	}
	md->in->reader = req;
	md_wake(md->in);
	return req;
}

static ssize_t md_recvfrom_recv(struct tevent_req *req, int *perrno, TALLOC_CTX *mem_ctx,
				uint8_t **buf, struct tsocket_address **src)
{
	struct md_recvfrom_state *s = tevent_req_data(req, struct md_recvfrom_state);
	ssize_t ret = tsocket_simple_int_recv(req, perrno);
	if (ret == 0) {
		*buf = talloc_move(mem_ctx, &s->buf);
		*src = talloc_move(mem_ctx, &s->src);
		ret = s->len;
	}
	T("op recvfrom_recv %s -> %zd", s->name, ret);
	tevent_req_received(req);
	return ret;
}

struct md_sendto_state {
	const char *name;
	ssize_t ret;
};

static struct tevent_req *md_sendto_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
					 struct tdgram_context *dgram,
					 const uint8_t *buf, size_t len,
					 const struct tsocket_address *dst)
{
	struct memdgram *md = tdgram_context_data(dgram, struct memdgram);
	struct md_sendto_state *s;
	struct tevent_req *req = tevent_req_create(mem_ctx, &s, struct md_sendto_state);
	struct mem_dmsg *m, **pp;
	char *d = tsocket_address_string(dst, s);

	s->name = md->name;
	op_tag(req, "sendto", s->name);
	T("op sendto %s len=%zu buf=%s dst=%s", md->name, len, show(buf, len), d);
	if (md->disconnected) {
		tevent_req_error(req, ENOTCONN);
		return tevent_req_post(req, ev);
	}
	m = talloc_zero(md->out, struct mem_dmsg);
	m->buf = talloc_memdup(m, buf, len);
	m->len = len;
	m->src = tsocket_address_copy(md->local, m);
	for (pp = &md->out->head; *pp != NULL; pp = &(*pp)->next) {
	}
	*pp = m;
	s->ret = len;
	md_wake(md->out);
	tevent_req_done(req);
	return tevent_req_post(req, ev);
}

static ssize_t md_sendto_recv(struct tevent_req *req, int *perrno)
{
	struct md_sendto_state *s = tevent_req_data(req, struct md_sendto_state);
	ssize_t ret = tsocket_simple_int_recv(req, perrno);
	if (ret == 0) {
		ret = s->ret;
	}
	T("op sendto_recv %s -> %zd", s->name, ret);
	tevent_req_received(req);
	return ret;
}

struct md_disconnect_state {
	const char *name;
};

static struct tevent_req *md_disconnect_send(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
					     struct tdgram_context *dgram)
{
	struct memdgram *md = tdgram_context_data(dgram, struct memdgram);
	struct md_disconnect_state *s;
	struct tevent_req *req = tevent_req_create(mem_ctx, &s, struct md_disconnect_state);

	s->name = md->name;
	op_tag(req, "disconnect", s->name);
	T("op disconnect %s", md->name);
	if (md->disconnected) {
		tevent_req_error(req, ENOTCONN);
		return tevent_req_post(req, ev);
	}
	md->disconnected = true;
	tevent_req_done(req);
	return tevent_req_post(req, ev);
}

static int md_disconnect_recv(struct tevent_req *req, int *perrno)
{
	struct md_disconnect_state *s = tevent_req_data(req, struct md_disconnect_state);
	int ret = tsocket_simple_int_recv(req, perrno);
	T("op disconnect_recv %s -> %d", s->name, ret);
	tevent_req_received(req);
	return ret;
}

static const struct tdgram_context_ops memdgram_ops = {
	.name = "memdgram",
	.recvfrom_send = md_recvfrom_send,
	.recvfrom_recv = md_recvfrom_recv,
	.sendto_send = md_sendto_send,
	.sendto_recv = md_sendto_recv,
	.disconnect_send = md_disconnect_send,
	.disconnect_recv = md_disconnect_recv,
};

/* a connected pair with addresses ipv4:127.0.0.1:<port1>/<port2> */
static __attribute__((unused)) void memdgram_pair(TALLOC_CTX *queues_ctx, TALLOC_CTX *mem_ctx,
			  const char *n1, uint16_t port1, const char *n2, uint16_t port2,
			  struct tdgram_context **d1, struct tdgram_context **d2)
{
	struct mem_dq *a = talloc_zero(queues_ctx, struct mem_dq);
	struct mem_dq *b = talloc_zero(queues_ctx, struct mem_dq);
	struct memdgram *m1, *m2;

	*d1 = tdgram_context_create(mem_ctx, &memdgram_ops, &m1, struct memdgram, __location__);
	*d2 = tdgram_context_create(mem_ctx, &memdgram_ops, &m2, struct memdgram, __location__);
	m1->name = n1;
	m1->in = a;
	m1->out = b;
	m1->disconnected = false;
	tsocket_address_inet_from_strings(m1, "ipv4", "127.0.0.1", port1, &m1->local);
	m2->name = n2;
	m2->in = b;
	m2->out = a;
	m2->disconnected = false;
	tsocket_address_inet_from_strings(m2, "ipv4", "127.0.0.1", port2, &m2->local);
	reg_auto(*d1, n1);
	reg_auto(*d2, n2);
}

#endif
