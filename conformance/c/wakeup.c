/* tevent_wakeup_send / tevent_wakeup_recv. */
#include "common.h"
#include <sys/time.h>

static void cb(struct tevent_req *req)
{
	bool ok;
	T("cb %s in_progress=%d", nm(req), tevent_req_is_in_progress(req));
	ok = tevent_wakeup_recv(req);
	T("wakeup_recv %s ret=%d", nm(req), ok);
	print_is_error(nm(req), req);
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	struct tevent_req *w1, *w2, *w3;
	double t0;
	bool b;

	/* # note: a wakeup request finishes with state TEVENT_REQ_TIMED_OUT (it is built on tevent_req_set_endtime), tevent_wakeup_recv returns true for it and does not mark it received */
	SECTION("order by wakeup time");
	/* the start, before the wakeup is armed: under load time passes in between */
	t0 = now_s();
	w1 = tevent_wakeup_send(mem, ev, tevent_timeval_current_ofs(0, 30000));
	reg(w1, "w+30ms");
	w2 = tevent_wakeup_send(mem, ev, tevent_timeval_set(1, 0));
	reg(w2, "w@1.0");
	w3 = tevent_wakeup_send(mem, ev, tevent_timeval_zero());
	reg(w3, "w@zero");
	tevent_req_set_callback(w1, cb, NULL);
	tevent_req_set_callback(w2, cb, NULL);
	tevent_req_set_callback(w3, cb, NULL);
	T("w1 in_progress=%d", tevent_req_is_in_progress(w1));
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	T("waited>=25ms=%d", now_s() - t0 >= 0.025);
	loop_wait(ev);
	talloc_free(w1);
	talloc_free(w2);
	talloc_free(w3);

	SECTION("poll");
	w1 = tevent_wakeup_send(mem, ev, tevent_timeval_current_ofs(0, 10000));
	reg(w1, "w+10ms");
	b = tevent_req_poll(w1, ev);
	T("poll ret=%d", b);
	T("wakeup_recv ret=%d", tevent_wakeup_recv(w1));
	talloc_free(w1);

	SECTION("free pending");
	w1 = tevent_wakeup_send(mem, ev, tevent_timeval_current_ofs(5, 0));
	reg(w1, "w+5s");
	(void)watch(w1, "w-child");
	talloc_free(w1);
	t0 = now_s();
	loop_wait(ev);
	T("loop_wait fast=%d", now_s() - t0 < 1.0);

	/* # note: tevent_req_set_endtime on a wakeup request replaces its wakeup timer: it completes (recv true) at the endtime */
	SECTION("endtime before wakeup");
	w1 = tevent_wakeup_send(mem, ev, tevent_timeval_current_ofs(5, 0));
	reg(w1, "w+5s");
	tevent_req_set_callback(w1, cb, NULL);
	tevent_req_set_endtime(w1, ev, tevent_timeval_zero());
	loop_once(ev);
	t0 = now_s();
	loop_wait(ev);
	T("loop_wait fast=%d", now_s() - t0 < 1.0);
	talloc_free(w1);

	SECTION("recv in progress and after error");
	w1 = tevent_wakeup_send(mem, ev, tevent_timeval_current_ofs(5, 0));
	reg(w1, "w+5s");
	T("wakeup_recv in progress ret=%d", tevent_wakeup_recv(w1));
	tevent_req_error(w1, EIO);
	T("wakeup_recv after error ret=%d", tevent_wakeup_recv(w1));
	print_is_error("w+5s", w1);
	t0 = now_s();
	loop_wait(ev);
	T("loop_wait fast=%d", now_s() - t0 < 1.0);
	talloc_free(w1);

	SECTION("end");
	talloc_free(mem);
	return 0;
}
