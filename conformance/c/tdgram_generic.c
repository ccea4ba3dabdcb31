/*
 * tdgram generic layer (tsocket.c) over an in-memory datagram pair
 * (memstream.h): EBUSY, EINVAL for len 0, recvfrom results, disconnect.
 */
#include "memstream.h"

static struct tevent_context *ev;
static TALLOC_CTX *mem;

static void recvfrom_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	TALLOC_CTX *tmp = talloc_new(mem);
	int perrno = 0;
	uint8_t *buf = NULL;
	struct tsocket_address *src = NULL;
	ssize_t ret = tdgram_recvfrom_recv(req, &perrno, tmp, &buf, &src);
	T("cb %s recvfrom ret=%zd perrno=%s buf=%s src=%s", label, ret, errname(perrno),
	  show(buf, ret > 0 ? (size_t)ret : 0),
	  src ? tsocket_address_string(src, tmp) : "NULL");
	if (buf != NULL) {
		T("buf parent is mem_ctx=%d src parent is mem_ctx=%d",
		  talloc_parent(buf) == tmp, talloc_parent(src) == tmp);
	}
	talloc_free(req);
	talloc_free(tmp);
}

static void sendto_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	ssize_t ret = tdgram_sendto_recv(req, &perrno);
	T("cb %s sendto ret=%zd perrno=%s", label, ret, errname(perrno));
	talloc_free(req);
}

static void disconnect_cb(struct tevent_req *req)
{
	const char *label = (const char *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tdgram_disconnect_recv(req, &perrno);
	T("cb %s disconnect ret=%d perrno=%s", label, ret, errname(perrno));
	talloc_free(req);
}

static struct tevent_req *rf(const char *label, struct tdgram_context *d)
{
	struct tevent_req *req;
	T("recvfrom_send %s on %s", label, nm(d));
	req = tdgram_recvfrom_send(mem, ev, d);
	reg_auto(req, label);
	tevent_req_set_callback(req, recvfrom_cb, (void *)label);
	T("-> in_progress=%d", tevent_req_is_in_progress(req));
	return req;
}

static struct tevent_req *st(const char *label, struct tdgram_context *d, const char *s,
			     size_t len, struct tsocket_address *dst)
{
	struct tevent_req *req;
	T("sendto_send %s on %s len=%zu", label, nm(d), len);
	req = tdgram_sendto_send(mem, ev, d, (const uint8_t *)s, len, dst);
	reg_auto(req, label);
	tevent_req_set_callback(req, sendto_cb, (void *)label);
	T("-> in_progress=%d", tevent_req_is_in_progress(req));
	return req;
}

static struct tevent_req *dc(const char *label, struct tdgram_context *d)
{
	struct tevent_req *req;
	T("disconnect_send %s on %s", label, nm(d));
	req = tdgram_disconnect_send(mem, ev, d);
	reg_auto(req, label);
	tevent_req_set_callback(req, disconnect_cb, (void *)label);
	T("-> in_progress=%d", tevent_req_is_in_progress(req));
	return req;
}

int main(void)
{
	struct tdgram_context *d1, *d2, *d3, *d4;
	struct tevent_req *r1, *r2;
	struct tsocket_address *dst;
	TALLOC_CTX *queues;

	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	queues = talloc_new(mem);
	tsocket_address_inet_from_strings(mem, "ipv4", "127.0.0.1", 2002, &dst);

	SECTION("create");
	memdgram_pair(queues, mem, "d1", 1001, "d2", 2002, &d1, &d2);

	SECTION("recvfrom pending, second recvfrom EBUSY, sendto, second sendto EBUSY");
	rf("r1", d2);
	rf("r2", d2);
	st("s1", d1, "hello", 5, dst);
	st("s2", d1, "again", 5, NULL);
	loop_wait(ev);

	SECTION("sendto len 0: EINVAL, checked before EBUSY");
	st("s3", d1, "first", 5, NULL);
	st("s4", d1, "x", 0, NULL);
	loop_wait(ev);

	SECTION("queued datagrams, one recvfrom each, src of the sender");
	st("s5", d1, "one", 3, NULL);
	loop_wait(ev);
	st("s6", d2, "two!", 4, NULL);
	loop_wait(ev);
	st("s7", d1, "three", 5, NULL);
	loop_wait(ev);
	rf("r3", d2);
	rf("r4", d1);
	loop_once(ev);
	loop_once(ev);
	loop_wait(ev);
	rf("r5", d2);
	rf("r6", d2);
	loop_wait(ev);

	SECTION("disconnect with outstanding recvfrom or sendto: EBUSY");
	r1 = rf("r7", d2);
	dc("x1", d2);
	r2 = st("s8", d1, "late", 4, NULL);
	dc("x2", d1);
	loop_wait(ev);

	SECTION("freeing a pending recvfrom, then recvfrom again");
	r1 = rf("r8", d1);
	T("free r8");
	talloc_free(r1);
	rf("r9", d1);
	st("s9", d2, "back", 4, NULL);
	loop_wait(ev);

	SECTION("disconnect, then use");
	dc("x3", d1);
	loop_wait(ev);
	rf("r10", d1);
	st("s10", d1, "dead", 4, NULL);
	dc("x4", d1);
	dc("x5", d1);
	loop_wait(ev);

	SECTION("freeing the dgram with recvfrom and sendto pending");
	/* # note: freeing a tdgram marks its outstanding recvfrom/sendto received (callback never called) */
	memdgram_pair(queues, mem, "d3", 3003, "d4", 4004, &d3, &d4);
	watch(d3, "d3-watch");
	r1 = rf("r11", d3);
	r2 = st("s11", d3, "gone", 4, NULL);
	T("free d3");
	talloc_free(d3);
	T("r11 in_progress=%d", tevent_req_is_in_progress(r1));
	print_is_error("r11", r1);
	T("s11 in_progress=%d", tevent_req_is_in_progress(r2));
	print_is_error("s11", r2);
	loop_wait(ev);
	T("free r11 ret=%d", talloc_free(r1));
	T("free s11 ret=%d", talloc_free(r2));
	rf("r12", d4);
	loop_wait(ev);

	SECTION("end");
	talloc_free(mem);
	return 0;
}
