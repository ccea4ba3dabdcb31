/* tevent_queue: ordering of triggers and callbacks, start/stop, optimize_empty, untrigger, wait, freeing. */
#include "common.h"

static struct tevent_queue *q;
static bool free_in_cb = true;
static bool done_in_trigger = true;
static struct tevent_queue_entry *untrigger_entry;

static void cb(struct tevent_req *req)
{
	T("cb %s length=%zu", nm(req), tevent_queue_length(q));
	if (free_in_cb) {
		talloc_free(req);
		T("freed in cb length=%zu", tevent_queue_length(q));
	}
}

static void trigger(struct tevent_req *req, void *pvt)
{
	T("trigger %s pvt=%s length=%zu", nm(req), nm(pvt), tevent_queue_length(q));
	if (untrigger_entry != NULL) {
		/* # note: tevent_queue_entry_untrigger abort()s unless the queue is stopped and the entry is the queue head; it only clears the triggered flag, the entry is triggered again on the next tevent_queue_start */
		T("stop and untrigger %s", nm(untrigger_entry));
		tevent_queue_stop(q);
		tevent_queue_entry_untrigger(untrigger_entry);
		untrigger_entry = NULL;
		return;
	}
	if (done_in_trigger) {
		tevent_req_done(req);
	}
}

static void wait_cb(struct tevent_req *req)
{
	T("wait_cb %s recv=%d", nm(req), tevent_queue_wait_recv(req));
	talloc_free(req);
}

static struct tevent_req *mk(void *mem, const char *label, bool with_cb)
{
	void *st;
	struct tevent_req *req = tevent_req_create(mem, &st, void *);
	reg_auto(req, label);
	if (with_cb) {
		tevent_req_set_callback(req, cb, NULL);
	}
	return req;
}

static void status(void)
{
	T("running=%d length=%zu", tevent_queue_running(q), tevent_queue_length(q));
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	struct tevent_req *r1, *r2, *r3, *w;
	struct tevent_queue_entry *e1, *e2;
	void *p1 = talloc_new(mem);
	reg_auto(p1, "p1");

	SECTION("create");
	q = tevent_queue_create(mem, "q");
	status();

	SECTION("three requests, trigger completes, callback frees");
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	r3 = mk(mem, "r3", true);
	T("add r1 ret=%d", tevent_queue_add(q, ev, r1, trigger, p1));
	T("add r2 ret=%d", tevent_queue_add(q, ev, r2, trigger, NULL));
	T("add r3 ret=%d", tevent_queue_add(q, ev, r3, trigger, NULL));
	status();
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_wait(ev);
	status();

	SECTION("done but not freed blocks the queue");
	free_in_cb = false;
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	tevent_queue_add(q, ev, r1, trigger, NULL);
	tevent_queue_add(q, ev, r2, trigger, NULL);
	loop_wait(ev);
	status();
	/* # note: a queue entry lives until it or its request is talloc_free'd; a finished (even received) request left allocated blocks the queue */
	/* # note: tevent_req_received does not free the queue entry (only the state, timer and trigger immediate); the entry, a talloc child of the request, goes when the request is freed */
	T("received r1");
	tevent_req_received(r1);
	status();
	loop_wait(ev);
	status();
	T("free r1 r2");
	talloc_free(r1);
	talloc_free(r2);
	status();
	free_in_cb = true;

	SECTION("trigger that does not finish");
	done_in_trigger = false;
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	tevent_queue_add(q, ev, r1, trigger, NULL);
	tevent_queue_add(q, ev, r2, trigger, NULL);
	loop_wait(ev);
	status();
	T("done r1");
	tevent_req_done(r1);
	status();
	loop_once(ev);
	T("done r2");
	tevent_req_done(r2);
	status();
	done_in_trigger = true;

	SECTION("stop and start");
	tevent_queue_stop(q);
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	tevent_queue_add(q, ev, r1, trigger, NULL);
	tevent_queue_add(q, ev, r2, trigger, NULL);
	status();
	loop_wait(ev);
	T("start");
	tevent_queue_start(q);
	status();
	loop_once(ev);
	T("stop inside");
	tevent_queue_stop(q);
	loop_wait(ev);
	status();
	T("start");
	tevent_queue_start(q);
	loop_wait(ev);
	status();

	SECTION("add_optimize_empty");
	r1 = mk(mem, "r1", false);
	/* # note: tevent_queue_add_optimize_empty calls the trigger synchronously inside the add only if the queue is running, empty and the request has no callback yet */
	T("add_optimize_empty r1 (empty, no callback)");
	e1 = tevent_queue_add_optimize_empty(q, ev, r1, trigger, NULL);
	reg_auto(e1, "e1");
	T("returned %s in_progress=%d", nm(e1), tevent_req_is_in_progress(r1));
	status();
	r2 = mk(mem, "r2", false);
	T("add_optimize_empty r2 (not empty)");
	e2 = tevent_queue_add_optimize_empty(q, ev, r2, trigger, NULL);
	reg_auto(e2, "e2");
	status();
	T("free r1");
	talloc_free(r1);
	status();
	loop_wait(ev);
	talloc_free(r2);
	r1 = mk(mem, "r1", true);
	T("add_optimize_empty r1 (empty, callback set)");
	tevent_queue_add_optimize_empty(q, ev, r1, trigger, NULL);
	status();
	loop_wait(ev);
	status();
	tevent_queue_stop(q);
	r1 = mk(mem, "r1", false);
	T("add_optimize_empty r1 (empty, stopped)");
	tevent_queue_add_optimize_empty(q, ev, r1, trigger, NULL);
	status();
	tevent_queue_start(q);
	loop_wait(ev);
	talloc_free(r1);
	status();

	SECTION("add_entry and entry_untrigger");
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	e1 = tevent_queue_add_entry(q, ev, r1, trigger, NULL);
	reg_auto(e1, "e1");
	e2 = tevent_queue_add_entry(q, ev, r2, trigger, NULL);
	reg_auto(e2, "e2");
	untrigger_entry = e1;
	loop_once(ev);
	status();
	loop_wait(ev);
	status();
	T("start");
	tevent_queue_start(q);
	loop_wait(ev);
	status();

	SECTION("freeing entries and requests");
	done_in_trigger = false;
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	r3 = mk(mem, "r3", true);
	e1 = tevent_queue_add_entry(q, ev, r1, trigger, NULL);
	reg_auto(e1, "e1");
	e2 = tevent_queue_add_entry(q, ev, r2, trigger, NULL);
	reg_auto(e2, "e2");
	tevent_queue_add(q, ev, r3, trigger, NULL);
	status();
	T("free e2 (queued)");
	talloc_free(e2);
	status();
	T("r2 in_progress=%d", tevent_req_is_in_progress(r2));
	loop_once(ev);
	T("free r1 (triggered)");
	talloc_free(r1);
	status();
	loop_once(ev);
	status();
	talloc_free(r2);
	talloc_free(r3);
	status();
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	tevent_queue_add(q, ev, r1, trigger, NULL);
	tevent_queue_add(q, ev, r2, trigger, NULL);
	T("free r2 (queued)");
	talloc_free(r2);
	status();
	loop_wait(ev);
	talloc_free(r1);
	status();
	r1 = mk(mem, "r1", true);
	e1 = tevent_queue_add_entry(q, ev, r1, trigger, NULL);
	reg_auto(e1, "e1");
	T("free e1 before its trigger ran");
	talloc_free(e1);
	status();
	loop_wait(ev);
	talloc_free(r1);
	done_in_trigger = true;

	SECTION("wait_send");
	w = tevent_queue_wait_send(mem, ev, q);
	reg_auto(w, "w1");
	tevent_req_set_callback(w, wait_cb, NULL);
	status();
	loop_wait(ev);
	status();
	done_in_trigger = false;
	r1 = mk(mem, "r1", true);
	tevent_queue_add(q, ev, r1, trigger, NULL);
	w = tevent_queue_wait_send(mem, ev, q);
	reg_auto(w, "w2");
	tevent_req_set_callback(w, wait_cb, NULL);
	r2 = mk(mem, "r2", true);
	tevent_queue_add(q, ev, r2, trigger, NULL);
	status();
	loop_wait(ev);
	T("done r1");
	tevent_req_done(r1);
	status();
	loop_wait(ev);
	status();
	T("done r2");
	tevent_req_done(r2);
	status();
	done_in_trigger = true;

	SECTION("freeing the queue with entries");
	done_in_trigger = false;
	r1 = mk(mem, "r1", true);
	r2 = mk(mem, "r2", true);
	tevent_queue_add(q, ev, r1, trigger, NULL);
	tevent_queue_add(q, ev, r2, trigger, NULL);
	loop_once(ev);
	T("free q ret=%d", talloc_free(q));
	q = NULL;
	T("r1 in_progress=%d r2 in_progress=%d", tevent_req_is_in_progress(r1),
	  tevent_req_is_in_progress(r2));
	loop_wait(ev);
	T("free r1 ret=%d", talloc_free(r1));
	T("free r2 ret=%d", talloc_free(r2));

	SECTION("end");
	talloc_free(mem);
	return 0;
}
