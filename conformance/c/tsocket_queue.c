/*
 * The tevent_queue based helpers (tsocket_helpers.c):
 * tstream_writev_queue_send, tstream_readv_pdu_queue_send and
 * tdgram_sendto_queue_send over the in-memory doubles: several requests in
 * one queue, completion/callback order, requests freed before their turn
 * or while in progress, a finished request left allocated.
 */
#include "memstream.h"

static struct tevent_context *ev;
static TALLOC_CTX *mem;
static struct tevent_queue *q;
static bool free_in_cb = true;

static void wq_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_queue_recv(req, &perrno);
	T("cb %s writev_queue ret=%d perrno=%s qlen=%zu", label, ret, errname(perrno),
	  tevent_queue_length(q));
	if (free_in_cb) {
		talloc_free(req);
		T("freed %s qlen=%zu", label, tevent_queue_length(q));
	}
}

static struct iovec wvecs[16][2];
static int nwvecs;

static struct tevent_req *wq(const char *label, struct tstream_context *s, const char *x, const char *y)
{
	struct iovec *v = wvecs[nwvecs++ % 16];
	struct tevent_req *req;
	v[0].iov_base = (void *)x;
	v[0].iov_len = strlen(x);
	v[1].iov_base = (void *)y;
	v[1].iov_len = strlen(y);
	req = tstream_writev_queue_send(mem, ev, s, q, v, 2);
	reg_auto(req, label);
	tevent_req_set_callback(req, wq_cb, (void *)label);
	T("writev_queue_send %s on %s \"%s\"+\"%s\" in_progress=%d qlen=%zu", label, nm(s), x, y,
	  tevent_req_is_in_progress(req), tevent_queue_length(q));
	return req;
}

static uint8_t raw_buf[64];

static void raw_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_recv(req, &perrno);
	T("cb %s readv ret=%d perrno=%s buf=%s", label, ret, errname(perrno),
	  show(raw_buf, ret > 0 ? (size_t)ret : 0));
	talloc_free(req);
}

static void raw_readv(const char *label, struct tstream_context *s, size_t n)
{
	struct iovec v;
	struct tevent_req *req;
	memset(raw_buf, 0, sizeof(raw_buf));
	v.iov_base = raw_buf;
	v.iov_len = n;
	req = tstream_readv_send(mem, ev, s, &v, 1);
	reg_auto(req, label);
	tevent_req_set_callback(req, raw_cb, (void *)label);
	T("readv_send %s on %s (%zu) in_progress=%d", label, nm(s), n, tevent_req_is_in_progress(req));
}

static void writev_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_recv(req, &perrno);
	T("cb %s writev ret=%d perrno=%s", label, ret, errname(perrno));
	talloc_free(req);
}

static void wr(const char *label, struct tstream_context *s, const uint8_t *b, size_t n)
{
	struct iovec v;
	struct tevent_req *req;
	v.iov_base = (void *)b;
	v.iov_len = n;
	req = tstream_writev_send(mem, ev, s, &v, 1);
	reg_auto(req, label);
	tevent_req_set_callback(req, writev_cb, (void *)label);
	T("writev_send %s on %s %s", label, nm(s), show(b, n));
}

/* PDU reader: 4-byte big-endian length, then the body */
struct pdu_reader {
	const char *label;
	int phase;
	uint8_t hdr[4];
	uint8_t body[32];
	uint32_t len;
};

static int next_vector(struct tstream_context *stream, void *pvt, TALLOC_CTX *mem_ctx,
		       struct iovec **_vector, size_t *_count)
{
	struct pdu_reader *p = (struct pdu_reader *)pvt;
	struct iovec *v;

	T("next_vector %s phase=%d", p->label, p->phase);
	switch (p->phase) {
	case 0:
		v = talloc_array(mem_ctx, struct iovec, 1);
		v[0].iov_base = p->hdr;
		v[0].iov_len = 4;
		p->phase = 1;
		*_vector = v;
		*_count = 1;
		return 0;
	case 1:
		p->len = ((uint32_t)p->hdr[0] << 24) | ((uint32_t)p->hdr[1] << 16) |
			 ((uint32_t)p->hdr[2] << 8) | p->hdr[3];
		if (p->len > sizeof(p->body)) {
			errno = EPROTO;
			return -1;
		}
		if (p->len == 0) {
			*_vector = NULL;
			*_count = 0;
			return 0;
		}
		v = talloc_array(mem_ctx, struct iovec, 1);
		v[0].iov_base = p->body;
		v[0].iov_len = p->len;
		p->phase = 2;
		*_vector = v;
		*_count = 1;
		return 0;
	default:
		*_vector = NULL;
		*_count = 0;
		return 0;
	}
}

static struct pdu_reader readers[16];
static int nreaders;

static void pq_cb(struct tevent_req *req)
{
	struct pdu_reader *p = (struct pdu_reader *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_pdu_queue_recv(req, &perrno);
	T("cb %s readv_pdu_queue ret=%d perrno=%s body=%s qlen=%zu", p->label, ret, errname(perrno),
	  show(p->body, p->len <= sizeof(p->body) ? p->len : 0), tevent_queue_length(q));
	talloc_free(req);
}

static struct tevent_req *pq(const char *label, struct tstream_context *s)
{
	struct pdu_reader *p = &readers[nreaders++ % 16];
	struct tevent_req *req;
	memset(p, 0, sizeof(*p));
	p->label = label;
	req = tstream_readv_pdu_queue_send(mem, ev, s, q, next_vector, p);
	reg_auto(req, label);
	tevent_req_set_callback(req, pq_cb, p);
	T("readv_pdu_queue_send %s on %s in_progress=%d qlen=%zu", label, nm(s),
	  tevent_req_is_in_progress(req), tevent_queue_length(q));
	return req;
}

static void sq_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	ssize_t ret = tdgram_sendto_queue_recv(req, &perrno);
	T("cb %s sendto_queue ret=%zd perrno=%s qlen=%zu", label, ret, errname(perrno),
	  tevent_queue_length(q));
	talloc_free(req);
}

static struct tevent_req *sq(const char *label, struct tdgram_context *d, const char *buf,
			     size_t len, struct tsocket_address *dst)
{
	struct tevent_req *req = tdgram_sendto_queue_send(mem, ev, d, q, (const uint8_t *)buf, len, dst);
	reg_auto(req, label);
	tevent_req_set_callback(req, sq_cb, (void *)label);
	T("sendto_queue_send %s on %s len=%zu in_progress=%d qlen=%zu", label, nm(d), len,
	  tevent_req_is_in_progress(req), tevent_queue_length(q));
	return req;
}

static void rf_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	TALLOC_CTX *tmp = talloc_new(mem);
	int perrno = 0;
	uint8_t *buf = NULL;
	struct tsocket_address *src = NULL;
	ssize_t ret = tdgram_recvfrom_recv(req, &perrno, tmp, &buf, &src);
	T("cb %s recvfrom ret=%zd perrno=%s buf=%s src=%s", label, ret, errname(perrno),
	  show(buf, ret > 0 ? (size_t)ret : 0), src ? tsocket_address_string(src, tmp) : "NULL");
	talloc_free(req);
	talloc_free(tmp);
}

static void rf(const char *label, struct tdgram_context *d)
{
	struct tevent_req *req = tdgram_recvfrom_send(mem, ev, d);
	reg_auto(req, label);
	tevent_req_set_callback(req, rf_cb, (void *)label);
	T("recvfrom_send %s on %s", label, nm(d));
}

int main(void)
{
	TALLOC_CTX *pipes;
	struct tstream_context *s1, *s2;
	struct tdgram_context *d1, *d2;
	struct tevent_req *r2, *r3, *r4;
	struct tsocket_address *dst;
	static const uint8_t frames[] = {
		0, 0, 0, 3, 'o', 'n', 'e',
		0, 0, 0, 3, 't', 'w', 'o',
		0, 0, 0, 5, 't', 'h', 'r', 'e', 'e',
		0, 0, 0, 4, 'f', 'o', 'u', 'r',
	};

	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	pipes = talloc_new(mem);
	memstream_pair(pipes, mem, "s1", "s2", &s1, &s2);
	memdgram_pair(pipes, mem, "d1", 1001, "d2", 2002, &d1, &d2);
	tsocket_address_inet_from_strings(mem, "ipv4", "127.0.0.1", 2002, &dst);
	q = tevent_queue_create(mem, "q");

	SECTION("writev_queue: three writes, callback order");
	/* # note: Samba 4.17's queue helpers add with tevent_queue_add_optimize_empty: on an empty running queue the first request is triggered synchronously inside its _send (its inner send already ran when _send returns) */
	wq("w1", s1, "aa", "A");
	wq("w2", s1, "bb", "B");
	wq("w3", s1, "cc", "C");
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_wait(ev);
	raw_readv("rd1", s2, 9);
	loop_wait(ev);

	SECTION("writev_queue: freed before its turn, freed in progress");
	wq("w4", s1, "dd", "");
	r2 = wq("w5", s1, "ee", "");
	r3 = wq("w6", s1, "ff", "");
	wq("w7", s1, "gg", "");
	T("free w5 (queued) qlen=%zu", (talloc_free(r2), tevent_queue_length(q)));
	loop_once(ev);
	loop_once(ev);
	T("free w6 (in progress) in_progress=%d", tevent_req_is_in_progress(r3));
	talloc_free(r3);
	T("qlen=%zu", tevent_queue_length(q));
	loop_wait(ev);
	raw_readv("rd2", s2, 6);
	loop_wait(ev);

	SECTION("writev_queue: a finished request left allocated blocks the queue");
	/* # note: the queue helpers' _recv only marks the request received; the queue entry (a child of the request) stays until the request is freed, so a finished, received but unfreed request blocks the next one */
	free_in_cb = false;
	r2 = wq("w8", s1, "hh", "");
	r3 = wq("w9", s1, "ii", "");
	loop_wait(ev);
	T("qlen=%zu", tevent_queue_length(q));
	free_in_cb = true;
	T("free w8");
	talloc_free(r2);
	T("qlen=%zu", tevent_queue_length(q));
	loop_wait(ev);
	raw_readv("rd3", s2, 4);
	loop_wait(ev);

	SECTION("writev_queue: EINVAL and EBUSY surface through the queue");
	wq("w10", s1, "", "");
	raw_readv("rd4", s2, 2);
	loop_wait(ev);
	wr("x1", s1, (const uint8_t *)"jj", 2);
	wq("w11", s1, "kk", "");
	loop_wait(ev);

	SECTION("readv_pdu_queue: four PDU reads, data arrives at once");
	pq("p1", s2);
	pq("p2", s2);
	r3 = pq("p3", s2);
	pq("p4", s2);
	T("free p3 (queued)");
	talloc_free(r3);
	T("qlen=%zu", tevent_queue_length(q));
	loop_wait(ev);
	wr("x2", s1, frames, sizeof(frames));
	loop_wait(ev);
	T("qlen=%zu", tevent_queue_length(q));
	raw_readv("rd6", s2, 8);
	loop_wait(ev);

	SECTION("readv_pdu_queue and writev_queue sharing one queue");
	pq("p5", s2);
	wq("w12", s2, "zz", "");
	raw_readv("rd7", s1, 2);
	loop_wait(ev);
	wr("x3", s1, frames, 7);
	loop_wait(ev);

	SECTION("sendto_queue: four datagrams, one of length 0, one freed");
	sq("q1", d1, "one", 3, dst);
	r2 = sq("q2", d1, "two", 3, NULL);
	sq("q3", d1, "", 0, NULL);
	r4 = sq("q4", d1, "four", 4, NULL);
	sq("q5", d1, "five", 4, NULL);
	T("free q2 (queued)");
	talloc_free(r2);
	loop_once(ev);
	loop_once(ev);
	T("free q4 (queued) in_progress=%d", tevent_req_is_in_progress(r4));
	talloc_free(r4);
	loop_wait(ev);
	rf("rf1", d2);
	loop_wait(ev);
	rf("rf2", d2);
	loop_wait(ev);

	SECTION("freeing the queue with requests in it");
	/* # note: freeing a tevent_queue drops its entries; a request that was waiting in it is never triggered and never completes */
	r2 = wq("w13", s1, "ll", "");
	r3 = wq("w14", s1, "mm", "");
	T("free q");
	talloc_free(q);
	q = NULL;
	T("w13 in_progress=%d w14 in_progress=%d", tevent_req_is_in_progress(r2),
	  tevent_req_is_in_progress(r3));
	q = tevent_queue_create(mem, "q2");
	loop_wait(ev);
	T("w13 in_progress=%d w14 in_progress=%d", tevent_req_is_in_progress(r2),
	  tevent_req_is_in_progress(r3));
	talloc_free(r3);
	T("pending_bytes s2=%zd", tstream_pending_bytes(s2));

	SECTION("end");
	talloc_free(mem);
	return 0;
}
