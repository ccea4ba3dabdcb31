/*
 * Event tags (tevent_{fd,timer,immediate,signal,queue_entry}_{set,get}_tag)
 * as seen by the getters, the handlers and the per-event trace callbacks,
 * and the trace callback getters (tevent_get_trace_*_callback).
 */
#include "common.h"

#define TAG(x) ((unsigned long long)(x))

static void im_trace(struct tevent_immediate *im, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_immediate %s %s tag=%llu", nm_trace(im, p == TEVENT_EVENT_TRACE_ATTACH),
	  event_trace_name(p), TAG(tevent_immediate_get_tag(im)));
}

static void timer_trace(struct tevent_timer *te, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_timer %s %s tag=%llu", nm_trace(te, p == TEVENT_EVENT_TRACE_ATTACH),
	  event_trace_name(p), TAG(tevent_timer_get_tag(te)));
}

static void fd_trace(struct tevent_fd *fde, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_fd %s %s tag=%llu", nm_trace(fde, p == TEVENT_EVENT_TRACE_ATTACH),
	  event_trace_name(p), TAG(tevent_fd_get_tag(fde)));
}

static void signal_trace(struct tevent_signal *se, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_signal %s %s tag=%llu", nm_trace(se, p == TEVENT_EVENT_TRACE_ATTACH),
	  event_trace_name(p), TAG(tevent_signal_get_tag(se)));
}

static void queue_trace(struct tevent_queue_entry *qe, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_queue %s %s tag=%llu", nm_trace(qe, p == TEVENT_EVENT_TRACE_ATTACH),
	  event_trace_name(p), TAG(tevent_queue_entry_get_tag(qe)));
}

static void loop_trace(enum tevent_trace_point p, void *pvt)
{
	T("trace %s", trace_name(p));
}

static void im_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("immediate %s tag=%llu", nm(im), TAG(tevent_immediate_get_tag(im)));
}

static void timer_handler(struct tevent_context *e, struct tevent_timer *te,
			  struct timeval now, void *pvt)
{
	T("timer %s tag=%llu", nm(te), TAG(tevent_timer_get_tag(te)));
}

static void fd_handler(struct tevent_context *e, struct tevent_fd *fde, uint16_t flags, void *pvt)
{
	char buf[8];
	T("fd %s flags=%u tag=%llu read=%zd", nm(fde), flags, TAG(tevent_fd_get_tag(fde)),
	  read(*(int *)pvt, buf, sizeof(buf)));
}

static void sig_handler(struct tevent_context *e, struct tevent_signal *se, int signum,
			int count, void *siginfo, void *pvt)
{
	T("signal %s count=%d tag=%llu", nm(se), count, TAG(tevent_signal_get_tag(se)));
}

static void trigger(struct tevent_req *req, void *pvt)
{
	struct tevent_queue_entry **qe = pvt;
	T("trigger %s entry_tag=%llu", nm(req), TAG(tevent_queue_entry_get_tag(*qe)));
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	void *p1 = talloc_new(mem);
	struct tevent_immediate *im1;
	struct tevent_timer *t1;
	struct tevent_fd *fde;
	struct tevent_signal *se;
	struct tevent_queue *q;
	struct tevent_queue_entry *qe;
	struct tevent_req *req;
	void *st;
	int sv[2];
	tevent_trace_callback_t gcb;
	tevent_trace_fd_callback_t gfd;
	tevent_trace_signal_callback_t gse;
	tevent_trace_timer_callback_t gte;
	tevent_trace_immediate_callback_t gim;
	tevent_trace_queue_callback_t gqe;
	void *gp;

	reg_auto(p1, "p1");

	SECTION("trace callback getters");
	gcb = loop_trace; gp = p1;
	tevent_get_trace_callback(ev, &gcb, &gp);
	T("get_trace_callback (never set) cb=%s pvt=%s", gcb ? "set" : "NULL", nm(gp));
	gfd = fd_trace; gp = p1;
	tevent_get_trace_fd_callback(ev, &gfd, &gp);
	T("get_trace_fd_callback (never set) cb=%s pvt=%s", gfd ? "set" : "NULL", nm(gp));
	gse = signal_trace; gp = p1;
	tevent_get_trace_signal_callback(ev, &gse, &gp);
	T("get_trace_signal_callback (never set) cb=%s pvt=%s", gse ? "set" : "NULL", nm(gp));
	gte = timer_trace; gp = p1;
	tevent_get_trace_timer_callback(ev, &gte, &gp);
	T("get_trace_timer_callback (never set) cb=%s pvt=%s", gte ? "set" : "NULL", nm(gp));
	gim = im_trace; gp = p1;
	tevent_get_trace_immediate_callback(ev, &gim, &gp);
	T("get_trace_immediate_callback (never set) cb=%s pvt=%s", gim ? "set" : "NULL", nm(gp));
	gqe = queue_trace; gp = p1;
	tevent_get_trace_queue_callback(ev, &gqe, &gp);
	T("get_trace_queue_callback (never set) cb=%s pvt=%s", gqe ? "set" : "NULL", nm(gp));

	tevent_set_trace_fd_callback(ev, fd_trace, p1);
	tevent_set_trace_signal_callback(ev, signal_trace, p1);
	tevent_set_trace_timer_callback(ev, timer_trace, p1);
	tevent_set_trace_immediate_callback(ev, im_trace, p1);
	tevent_set_trace_queue_callback(ev, queue_trace, p1);
	tevent_get_trace_fd_callback(ev, &gfd, &gp);
	T("get_trace_fd_callback same=%d pvt=%s", gfd == fd_trace, nm(gp));
	tevent_get_trace_signal_callback(ev, &gse, &gp);
	T("get_trace_signal_callback same=%d pvt=%s", gse == signal_trace, nm(gp));
	tevent_get_trace_timer_callback(ev, &gte, &gp);
	T("get_trace_timer_callback same=%d pvt=%s", gte == timer_trace, nm(gp));
	tevent_get_trace_immediate_callback(ev, &gim, &gp);
	T("get_trace_immediate_callback same=%d pvt=%s", gim == im_trace, nm(gp));
	tevent_get_trace_queue_callback(ev, &gqe, &gp);
	T("get_trace_queue_callback same=%d pvt=%s", gqe == queue_trace, nm(gp));

	T("set the fd and timer callbacks again with pvt NULL");
	tevent_set_trace_fd_callback(ev, fd_trace, NULL);
	tevent_set_trace_timer_callback(ev, timer_trace, NULL);
	tevent_get_trace_fd_callback(ev, &gfd, &gp);
	T("get_trace_fd_callback same=%d pvt=%s", gfd == fd_trace, nm(gp));
	tevent_get_trace_timer_callback(ev, &gte, &gp);
	T("get_trace_timer_callback same=%d pvt=%s", gte == timer_trace, nm(gp));

	SECTION("timer tags");
	LABEL("t1");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL);
	reg_auto(t1, "t1");
	LABEL(NULL);
	T("t1 tag=%llu", TAG(tevent_timer_get_tag(t1)));
	tevent_timer_set_tag(t1, 42);
	T("t1 set 42: tag=%llu", TAG(tevent_timer_get_tag(t1)));
	tevent_timer_set_tag(t1, 4294967297ULL);
	T("t1 set 4294967297: tag=%llu", TAG(tevent_timer_get_tag(t1)));
	tevent_timer_set_tag(t1, 9007199254740991ULL);
	T("t1 set 2^53-1: tag=%llu", TAG(tevent_timer_get_tag(t1)));
	T("update t1");
	tevent_update_timer(t1, tevent_timeval_set(0, 5));
	T("t1 tag=%llu", TAG(tevent_timer_get_tag(t1)));
	tevent_timer_set_tag(t1, 43);
	loop_once(ev);

	SECTION("immediate tags");
	im1 = tevent_create_immediate(mem);
	reg_auto(im1, "im1");
	T("im1 tag=%llu", TAG(tevent_immediate_get_tag(im1)));
	tevent_immediate_set_tag(im1, 7);
	T("im1 set 7 before scheduling: tag=%llu", TAG(tevent_immediate_get_tag(im1)));
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	T("im1 scheduled: tag=%llu", TAG(tevent_immediate_get_tag(im1)));
	loop_once(ev);
	T("im1 after its handler: tag=%llu", TAG(tevent_immediate_get_tag(im1)));
	tevent_immediate_set_tag(im1, 8);
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	T("reschedule im1 while scheduled");
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	T("im1 tag=%llu", TAG(tevent_immediate_get_tag(im1)));
	T("cancel im1 (NULL handler)");
	tevent_schedule_immediate(im1, ev, NULL, NULL);
	T("im1 cancelled: tag=%llu", TAG(tevent_immediate_get_tag(im1)));
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	loop_once(ev);
	T("free im1");
	TALLOC_FREE(im1);

	SECTION("fd tags");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	LABEL("fd0");
	fde = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, &sv[0]);
	reg_auto(fde, "fd0");
	LABEL(NULL);
	T("fd0 tag=%llu", TAG(tevent_fd_get_tag(fde)));
	tevent_fd_set_tag(fde, 9);
	T("fd0 set 9: tag=%llu", TAG(tevent_fd_get_tag(fde)));
	write(sv[1], "a", 1);
	loop_once(ev);
	tevent_fd_set_flags(fde, 0);
	T("fd0 flags 0: tag=%llu", TAG(tevent_fd_get_tag(fde)));
	tevent_fd_set_tag(fde, 10);
	T("free fd0");
	TALLOC_FREE(fde);

	SECTION("signal tags");
	/* # note: the first tevent_add_signal() of a context adds an fd event for the signal pipe, which the fd trace callback reports (ATTACH, before the signal's own ATTACH); the port has no such fd event (reported), so the fd trace is off here */
	tevent_set_trace_fd_callback(ev, NULL, NULL);
	LABEL("se1");
	se = tevent_add_signal(ev, mem, SIGUSR1, 0, sig_handler, NULL);
	reg_auto(se, "se1");
	LABEL(NULL);
	T("se1 tag=%llu", TAG(tevent_signal_get_tag(se)));
	tevent_signal_set_tag(se, 11);
	T("se1 set 11: tag=%llu", TAG(tevent_signal_get_tag(se)));
	raise(SIGUSR1);
	loop_once(ev);
	tevent_signal_set_tag(se, 12);
	T("free se1");
	TALLOC_FREE(se);

	SECTION("queue entry tags");
	q = tevent_queue_create(mem, "q");
	LABEL("req1");
	req = tevent_req_create(mem, &st, void *);
	reg_auto(req, "req1");
	LABEL(NULL);
	LABEL("qe1");
	qe = tevent_queue_add_entry(q, ev, req, trigger, &qe);
	reg_auto(qe, "qe1");
	LABEL(NULL);
	T("qe1 tag=%llu", TAG(tevent_queue_entry_get_tag(qe)));
	tevent_queue_entry_set_tag(qe, 13);
	T("qe1 set 13: tag=%llu", TAG(tevent_queue_entry_get_tag(qe)));
	loop_once(ev);
	tevent_queue_entry_set_tag(qe, 14);
	T("free req1");
	TALLOC_FREE(req);
	loop_wait(ev);

	SECTION("callbacks off");
	tevent_set_trace_fd_callback(ev, NULL, NULL);
	tevent_set_trace_signal_callback(ev, NULL, NULL);
	tevent_set_trace_timer_callback(ev, NULL, NULL);
	tevent_set_trace_immediate_callback(ev, NULL, NULL);
	tevent_set_trace_queue_callback(ev, NULL, NULL);
	gfd = fd_trace; gp = p1;
	tevent_get_trace_fd_callback(ev, &gfd, &gp);
	T("get_trace_fd_callback cb=%s pvt=%s", gfd ? "set" : "NULL", nm(gp));
	gse = signal_trace; gp = p1;
	tevent_get_trace_signal_callback(ev, &gse, &gp);
	T("get_trace_signal_callback cb=%s pvt=%s", gse ? "set" : "NULL", nm(gp));
	gte = timer_trace; gp = p1;
	tevent_get_trace_timer_callback(ev, &gte, &gp);
	T("get_trace_timer_callback cb=%s pvt=%s", gte ? "set" : "NULL", nm(gp));
	gim = im_trace; gp = p1;
	tevent_get_trace_immediate_callback(ev, &gim, &gp);
	T("get_trace_immediate_callback cb=%s pvt=%s", gim ? "set" : "NULL", nm(gp));
	gqe = queue_trace; gp = p1;
	tevent_get_trace_queue_callback(ev, &gqe, &gp);
	T("get_trace_queue_callback cb=%s pvt=%s", gqe ? "set" : "NULL", nm(gp));

	SECTION("end");
	close(sv[0]);
	close(sv[1]);
	talloc_free(mem);
	return 0;
}
