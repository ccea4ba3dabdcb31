/*
 * tstream generic layer (tsocket.c) over an in-memory stream pair
 * (memstream.h): EBUSY, EINVAL, disconnect, pending_bytes, lifetimes of
 * requests and sub-requests, callback order.
 */
#include "memstream.h"

static struct tevent_context *ev;
static TALLOC_CTX *mem;

struct rd {
	const char *label;
	uint8_t a[8];
	uint8_t b[8];
	size_t la, lb;
};

static void readv_cb(struct tevent_req *req)
{
	struct rd *r = (struct rd *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_recv(req, &perrno);
	T("cb %s readv ret=%d perrno=%s a=%s b=%s", r->label, ret, errname(perrno),
	  show(r->a, r->la), show(r->b, r->lb));
	talloc_free(req);
}

static void writev_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_recv(req, &perrno);
	T("cb %s writev ret=%d perrno=%s", label, ret, errname(perrno));
	talloc_free(req);
}

static void disconnect_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_disconnect_recv(req, &perrno);
	T("cb %s disconnect ret=%d perrno=%s", label, ret, errname(perrno));
	talloc_free(req);
}

static struct rd rds[16];
static int nrd;

/* readv of la bytes into a then lb bytes into b */
static struct tevent_req *rv(const char *label, struct tstream_context *s, size_t la, size_t lb)
{
	struct rd *r = &rds[nrd++ % 16];
	struct iovec v[2];
	struct tevent_req *req;
	memset(r, 0, sizeof(*r));
	r->label = label;
	r->la = la;
	r->lb = lb;
	v[0].iov_base = r->a;
	v[0].iov_len = la;
	v[1].iov_base = r->b;
	v[1].iov_len = lb;
	T("readv_send %s on %s (%zu,%zu)", label, nm(s), la, lb);
	req = tstream_readv_send(mem, ev, s, v, 2);
	reg_auto(req, label);
	tevent_req_set_callback(req, readv_cb, r);
	T("-> in_progress=%d", tevent_req_is_in_progress(req));
	return req;
}

static struct tevent_req *wv(const char *label, struct tstream_context *s, const char *x, const char *y)
{
	struct iovec v[2];
	struct tevent_req *req;
	v[0].iov_base = (void *)x;
	v[0].iov_len = strlen(x);
	v[1].iov_base = (void *)y;
	v[1].iov_len = strlen(y);
	T("writev_send %s on %s \"%s\"+\"%s\"", label, nm(s), x, y);
	req = tstream_writev_send(mem, ev, s, v, 2);
	reg_auto(req, label);
	tevent_req_set_callback(req, writev_cb, (void *)label);
	T("-> in_progress=%d", tevent_req_is_in_progress(req));
	return req;
}

static struct tevent_req *dc(const char *label, struct tstream_context *s)
{
	struct tevent_req *req;
	T("disconnect_send %s on %s", label, nm(s));
	req = tstream_disconnect_send(mem, ev, s);
	reg_auto(req, label);
	tevent_req_set_callback(req, disconnect_cb, (void *)label);
	T("-> in_progress=%d", tevent_req_is_in_progress(req));
	return req;
}

static void pending(struct tstream_context *s)
{
	ssize_t n;
	errno = 0;
	n = tstream_pending_bytes(s);
	T("pending_bytes %s ret=%zd%s%s", nm(s), n, n == -1 ? " errno=" : "",
	  n == -1 ? errname(errno) : "");
}

int main(void)
{
	struct tstream_context *s1, *s2, *s3, *s4;
	struct tevent_req *r1, *r2;
	struct iovec v[3];
	uint8_t z1[4], z2[4], z3[4];
	TALLOC_CTX *pipes;

	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	pipes = talloc_new(mem);

	SECTION("create");
	memstream_pair(pipes, mem, "s1", "s2", &s1, &s2);
	pending(s1);
	pending(s2);

	SECTION("readv pending, second readv and writev get EBUSY");
	rv("r1", s1, 3, 2);
	rv("r2", s1, 1, 1);
	wv("w1", s2, "abc", "de");
	wv("w2", s2, "x", "y");
	loop_wait(ev);
	pending(s1);

	SECTION("EINVAL: empty vectors");
	T("readv_send r3 count=0");
	r1 = tstream_readv_send(mem, ev, s1, v, 0);
	reg_auto(r1, "r3");
	tevent_req_set_callback(r1, readv_cb, &rds[15]);
	rds[15].label = "r3";
	rds[15].la = rds[15].lb = 0;
	T("-> in_progress=%d", tevent_req_is_in_progress(r1));
	rv("r4", s1, 0, 0);
	T("writev_send w3 count=0");
	r1 = tstream_writev_send(mem, ev, s1, v, 0);
	reg_auto(r1, "w3");
	tevent_req_set_callback(r1, writev_cb, "w3");
	T("-> in_progress=%d", tevent_req_is_in_progress(r1));
	wv("w4", s1, "", "");
	loop_wait(ev);

	SECTION("zero-length entries among others are passed through");
	v[0].iov_base = z1;
	v[0].iov_len = 0;
	v[1].iov_base = z2;
	v[1].iov_len = 2;
	v[2].iov_base = z3;
	v[2].iov_len = 0;
	memset(z2, 0, sizeof(z2));
	T("readv_send r5 (0,2,0) on s2");
	r1 = tstream_readv_send(mem, ev, s2, v, 3);
	reg_auto(r1, "r5");
	rds[14].label = "r5";
	rds[14].la = rds[14].lb = 0;
	tevent_req_set_callback(r1, readv_cb, &rds[14]);
	wv("w5", s1, "", "PQ");
	loop_wait(ev);
	T("r5 got %s", show(z2, 2));

	SECTION("pending_bytes");
	wv("w6", s1, "xyz", "uvw");
	pending(s2);
	loop_wait(ev);
	pending(s2);
	rv("r6", s2, 2, 2);
	loop_wait(ev);
	pending(s2);
	rv("r7", s2, 1, 1);
	pending(s2);
	loop_once(ev);
	pending(s2);

	SECTION("disconnect with outstanding readv or writev: EBUSY");
	r1 = rv("r8", s2, 4, 0);
	dc("d1", s2);
	wv("w7", s1, "q", "");
	dc("d2", s1);
	loop_wait(ev);
	pending(s2);

	SECTION("freeing a pending readv, then readv again");
	T("free r8");
	talloc_free(r1);
	rv("r9", s2, 2, 0);
	wv("w8", s1, "mn", "");
	loop_wait(ev);

	SECTION("partial fills across writes, callback order with two streams");
	rv("r10", s1, 2, 3);
	rv("r11", s2, 1, 0);
	wv("w9", s2, "A", "");
	wv("w10", s1, "B", "");
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	wv("w11", s2, "CDE", "FG");
	loop_once(ev);
	loop_once(ev);
	loop_wait(ev);
	pending(s1);
	pending(s2);

	SECTION("disconnect, then the peer's readv hits EOF");
	rv("r12", s1, 3, 0);
	wv("w12", s2, "ok", "");
	loop_wait(ev);
	dc("d3", s2);
	loop_wait(ev);
	pending(s1);
	pending(s2);
	rv("r13", s2, 1, 0);
	wv("w13", s2, "zz", "");
	dc("d4", s2);
	loop_wait(ev);
	rv("r14", s1, 1, 0);
	loop_wait(ev);

	SECTION("two disconnects back to back");
	/* # note: the generic tstream layer only refuses a disconnect while a readv or writev is outstanding; a second disconnect_send while one is outstanding reaches the implementation again (no EBUSY) */
	memstream_pair(pipes, mem, "s3", "s4", &s3, &s4);
	dc("d5", s3);
	dc("d6", s3);
	loop_wait(ev);

	SECTION("freeing the stream with a readv pending");
	/* # note: freeing a stream marks its outstanding readv/writev requests received (state freed, sub-request freed, callback never called): the caller's req stays allocated in TEVENT_REQ_RECEIVED */
	talloc_free(s3);
	memstream_pair(pipes, mem, "s3", "s4", &s3, &s4);
	watch(s3, "s3-watch");
	r1 = rv("r15", s3, 2, 0);
	r2 = wv("w14", s3, "hi", "");
	T("free s3");
	talloc_free(s3);
	T("r15 in_progress=%d", tevent_req_is_in_progress(r1));
	print_is_error("r15", r1);
	T("w14 in_progress=%d", tevent_req_is_in_progress(r2));
	print_is_error("w14", r2);
	loop_wait(ev);
	T("free r15 ret=%d", talloc_free(r1));
	T("free w14 ret=%d", talloc_free(r2));
	pending(s4);

	SECTION("freeing the stream's memory context frees readv requests allocated under it");
	{
		TALLOC_CTX *sctx = talloc_new(mem);
		struct tevent_req *r;
		struct iovec v1;
		uint8_t x[2];
		memstream_pair(pipes, sctx, "s5", "s6", &s3, &s4);
		v1.iov_base = x;
		v1.iov_len = 2;
		r = tstream_readv_send(sctx, ev, s4, &v1, 1);
		reg_auto(r, "r16");
		watch(r, "r16-watch");
		T("free sctx");
		talloc_free(sctx);
		loop_wait(ev);
	}

	SECTION("end");
	talloc_free(mem);
	return 0;
}
