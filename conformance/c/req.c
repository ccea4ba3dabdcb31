/* tevent_req: states, callbacks, post/defer, endtime, cancel, cleanup, print, nesting, tevent_unix. */
#include "common.h"
#include <regex.h>
#include <sys/time.h>
#include <util/tevent_unix.h>

struct st { int x; };

static void cb(struct tevent_req *req)
{
	enum tevent_req_state st = TEVENT_REQ_INIT;
	uint64_t err = 0;
	bool iserr = tevent_req_is_error(req, &st, &err);
	T("cb %s pvt=%s in_progress=%d state=%s", nm(req),
	  nm(tevent_req_callback_data_void(req)),
	  tevent_req_is_in_progress(req),
	  iserr ? state_name(st) : "TEVENT_REQ_DONE");
}

static struct tevent_req *mkreq(void *mem, const char *label, bool with_cb)
{
	struct st *state;
	struct tevent_req *req = tevent_req_create(mem, &state, struct st);
	reg(req, label);
	if (with_cb) {
		tevent_req_set_callback(req, cb, NULL);
	}
	return req;
}

static void timer_handler(struct tevent_context *ev, struct tevent_timer *te,
			  struct timeval now, void *pvt)
{
	T("timer %s", nm(te));
}

static void timer_done_handler(struct tevent_context *ev, struct tevent_timer *te,
			       struct timeval now, void *pvt)
{
	struct tevent_req *req = pvt;
	T("timer %s -> done %s", nm(te), nm(req));
	tevent_req_done(req);
}

static bool cancel_true(struct tevent_req *req)
{
	T("cancel_fn %s -> true", nm(req));
	return true;
}

static bool cancel_false(struct tevent_req *req)
{
	T("cancel_fn %s -> false", nm(req));
	return false;
}

static void cleanup_fn(struct tevent_req *req, enum tevent_req_state st)
{
	T("cleanup %s state=%s", nm(req), state_name(st));
}

static char *custom_print(struct tevent_req *req, TALLOC_CTX *mem)
{
	return talloc_asprintf(mem, "custom print of %s", nm(req));
}

/* replace one regex everywhere in s (in place, s has room for 4096 bytes) */
static void replace_all(char *s, const char *pattern, const char *rep)
{
	char out[4096];
	size_t o = 0;
	regex_t re;
	regmatch_t m[1];
	const char *cur = s;
	regcomp(&re, pattern, REG_EXTENDED);
	while (regexec(&re, cur, 1, m, 0) == 0) {
		memcpy(out + o, cur, m[0].rm_so);
		o += m[0].rm_so;
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
		cur += m[0].rm_eo;
	}
	strcpy(out + o, cur);
	regfree(&re);
	strcpy(s, out);
}

/*
 * Normalise what cannot match across languages, in this order:
 *  1. "0x" followed by at least 4 hex digits becomes <ptr>, "(nil)" <nil>;
 *  2. "[<ptr>/<anything>]" (pointer/create location) becomes "[<ptr>/<loc>]";
 *  3. "finish[<anything not starting with '('>]" becomes "finish[<loc>]"
 *     ("finish[(null)]" stays).
 */
static void print_normalised(const char *label, const char *s)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", s);
	replace_all(buf, "0x[0-9a-fA-F]{4,}", "<ptr>");
	replace_all(buf, "\\(nil\\)", "<nil>");
	replace_all(buf, "\\[<ptr>/[^]]*\\]", "[<ptr>/<loc>]");
	replace_all(buf, "finish\\[[^](][^]]*\\]", "finish[<loc>]");
	T("%s %s", label, buf);
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* ---- nested requests ---- */

struct step_state { const char *label; struct tevent_immediate *im; };

static void step_handler(struct tevent_context *ev, struct tevent_immediate *im, void *pvt)
{
	struct tevent_req *req = pvt;
	T("step %s done", nm(req));
	tevent_req_done(req);
}

static struct tevent_req *step_send(TALLOC_CTX *mem, struct tevent_context *ev, const char *label)
{
	struct step_state *state;
	struct tevent_req *req = tevent_req_create(mem, &state, struct step_state);
	reg(req, label);
	T("step_send %s", label);
	state->im = tevent_create_immediate(state);
	tevent_schedule_immediate(state->im, ev, step_handler, req);
	return req;
}

static bool step_recv(struct tevent_req *req)
{
	bool ok = !tevent_req_is_error(req, &(enum tevent_req_state){0}, &(uint64_t){0});
	tevent_req_received(req);
	return ok;
}

struct outer_state { struct tevent_context *ev; int n; };
static void outer_sub1_done(struct tevent_req *subreq);
static void outer_sub_par_done(struct tevent_req *subreq);

static struct tevent_req *outer_send(TALLOC_CTX *mem, struct tevent_context *ev)
{
	struct outer_state *state;
	struct tevent_req *req, *subreq;
	req = tevent_req_create(mem, &state, struct outer_state);
	reg(req, "outer");
	state->ev = ev;
	subreq = step_send(state, ev, "sub1");
	tevent_req_set_callback(subreq, outer_sub1_done, req);
	return req;
}

static void outer_sub1_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct outer_state *state = tevent_req_data(req, struct outer_state);
	T("outer_sub1_done %s ok=%d", nm(subreq), step_recv(subreq));
	TALLOC_FREE(subreq);
	subreq = step_send(state, state->ev, "sub2a");
	tevent_req_set_callback(subreq, outer_sub_par_done, req);
	subreq = step_send(state, state->ev, "sub2b");
	tevent_req_set_callback(subreq, outer_sub_par_done, req);
	state->n = 2;
}

static void outer_sub_par_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct outer_state *state = tevent_req_data(req, struct outer_state);
	T("outer_sub_par_done %s ok=%d", nm(subreq), step_recv(subreq));
	TALLOC_FREE(subreq);
	state->n--;
	if (state->n == 0) {
		T("outer done");
		tevent_req_done(req);
	}
}

/* ---- early error through post ---- */
static struct tevent_req *fail_send(TALLOC_CTX *mem, struct tevent_context *ev)
{
	struct st *state;
	struct tevent_req *req = tevent_req_create(mem, &state, struct st);
	reg(req, "fail");
	tevent_req_error(req, EINVAL);
	return tevent_req_post(req, ev);
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	struct tevent_req *req, *r2;
	struct st *state;
	void *pvt;
	bool b;
	int perr;
	double t0;
	char *s;

	SECTION("create");
	req = tevent_req_create(mem, &state, struct st);
	reg(req, "req1");
	reg(state, "state1");
	T("state zeroed x=%d", state->x);
	T("data=%s", nm(tevent_req_data(req, struct st)));
	T("parent req1=%s", nm(talloc_parent(req)) == NULL ? "?" : (talloc_parent(req) == mem ? "mem" : "?"));
	T("parent state1=%s", nm(talloc_parent(state)));
	T("in_progress=%d", tevent_req_is_in_progress(req));
	/* # note: tevent_req_is_error on an in-progress request returns true with state TEVENT_REQ_IN_PROGRESS; on a DONE request it returns false and leaves both out-parameters untouched; error is only written for TEVENT_REQ_USER_ERROR */
	print_is_error("req1", req);
	T("callback_data before set=%s", nm(tevent_req_callback_data_void(req)));
	pvt = talloc_new(mem);
	reg(pvt, "pvt1");
	tevent_req_set_callback(req, cb, pvt);
	T("callback_data=%s", nm(tevent_req_callback_data_void(req)));

	/* # note: tevent_req_done/error/nomem/oom call the callback synchronously, before they return (unless tevent_req_defer_callback was used) */
	SECTION("done calls the callback synchronously");
	T("call done");
	tevent_req_done(req);
	T("after done");
	T("in_progress=%d", tevent_req_is_in_progress(req));
	print_is_error("req1", req);
	TALLOC_FREE(req);

	SECTION("error");
	req = mkreq(mem, "req2", true);
	/* # note: tevent_req_error(req, 0) returns false and changes nothing */
	T("error(0) ret=%d", tevent_req_error(req, 0));
	print_is_error("req2", req);
	T("error(EINVAL) ret=%d", tevent_req_error(req, EINVAL));
	print_is_error("req2", req);
	T("in_progress=%d", tevent_req_is_in_progress(req));
	TALLOC_FREE(req);

	SECTION("nomem and oom");
	req = mkreq(mem, "req3", true);
	T("nomem(ptr) ret=%d", tevent_req_nomem(mem, req));
	print_is_error("req3", req);
	T("nomem(NULL) ret=%d", tevent_req_nomem(NULL, req));
	print_is_error("req3", req);
	TALLOC_FREE(req);
	req = mkreq(mem, "req4", true);
	tevent_req_oom(req);
	print_is_error("req4", req);
	TALLOC_FREE(req);

	SECTION("post");
	req = fail_send(mem, ev);
	T("fail_send returned %s in_progress=%d", nm(req), tevent_req_is_in_progress(req));
	tevent_req_set_callback(req, cb, NULL);
	loop_once(ev);
	TALLOC_FREE(req);
	req = mkreq(mem, "req5", true);
	tevent_req_done(req);
	T("post ret=%s", nm(tevent_req_post(req, ev)));
	/* # note: tevent_req_post on a request whose callback is already set calls the callback a second time */
	loop_once(ev);
	TALLOC_FREE(req);
	req = mkreq(mem, "req6", true);
	tevent_req_post(req, ev);
	/* # note: tevent_req_post on a request still in progress calls its callback while still TEVENT_REQ_IN_PROGRESS */
	loop_once(ev);
	T("in_progress=%d", tevent_req_is_in_progress(req));
	TALLOC_FREE(req);
	req = mkreq(mem, "req7", true);
	tevent_req_done(req);
	tevent_req_post(req, ev);
	TALLOC_FREE(req);
	T("freed posted req7");
	loop_wait(ev);

	SECTION("defer_callback");
	req = mkreq(mem, "req8", true);
	tevent_req_defer_callback(req, ev);
	tevent_req_done(req);
	T("after done in_progress=%d", tevent_req_is_in_progress(req));
	loop_once(ev);
	TALLOC_FREE(req);

	SECTION("notify_callback");
	req = mkreq(mem, "req9", true);
	/* # note: tevent_req_notify_callback calls the callback even while the request is in progress */
	tevent_req_notify_callback(req);
	T("after notify in_progress=%d", tevent_req_is_in_progress(req));
	tevent_req_set_callback(req, NULL, NULL);
	tevent_req_notify_callback(req);
	T("notify with NULL callback ok");
	TALLOC_FREE(req);

	SECTION("poll");
	req = mkreq(mem, "req10", true);
	reg(tevent_add_timer(ev, req, tevent_timeval_zero(), timer_done_handler, req), "t1");
	b = tevent_req_poll(req, ev);
	T("poll ret=%d", b);
	b = tevent_req_poll(req, ev);
	T("poll again ret=%d", b);
	TALLOC_FREE(req);

	SECTION("received");
	req = tevent_req_create(mem, &state, struct st);
	reg(req, "req11");
	reg(state, "state11");
	talloc_set_destructor((void *)state, watch_destructor);
	(void)watch(req, "req11-child");
	tevent_req_done(req);
	tevent_req_received(req);
	/* # note: tevent_req_received frees the state (data becomes NULL) but not the other talloc children of the request; state becomes TEVENT_REQ_RECEIVED */
	T("after received data=%s", nm(_tevent_req_data(req)));
	T("in_progress=%d", tevent_req_is_in_progress(req));
	print_is_error("req11", req);
	T("parent req11=%s", talloc_parent(req) == mem ? "mem" : "?");
	TALLOC_FREE(req);
	T("freed req11");

	SECTION("endtime");
	req = mkreq(mem, "req12", true);
	T("set_endtime ret=%d", tevent_req_set_endtime(req, ev, tevent_timeval_zero()));
	loop_once(ev);
	print_is_error("req12", req);
	TALLOC_FREE(req);
	req = mkreq(mem, "req13", true);
	T("set_endtime ret=%d", tevent_req_set_endtime(req, ev, tevent_timeval_zero()));
	tevent_req_reset_endtime(req);
	reg(tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL), "t2");
	loop_once(ev);
	print_is_error("req13", req);
	TALLOC_FREE(req);
	req = mkreq(mem, "req14", true);
	tevent_req_set_endtime(req, ev, tevent_timeval_current_ofs(5, 0));
	tevent_req_done(req);
	t0 = now_s();
	loop_wait(ev);
	/* # note: finishing a request frees its endtime timer, so it no longer keeps tevent_loop_wait busy */
	T("loop_wait after done with endtime fast=%d", now_s() - t0 < 1.0);
	TALLOC_FREE(req);
	req = mkreq(mem, "req15", true);
	tevent_req_set_endtime(req, ev, tevent_timeval_current_ofs(5, 0));
	TALLOC_FREE(req);
	t0 = now_s();
	loop_wait(ev);
	T("loop_wait after freeing req with endtime fast=%d", now_s() - t0 < 1.0);

	SECTION("cancel");
	req = mkreq(mem, "req16", true);
	T("cancel without fn ret=%d", tevent_req_cancel(req));
	tevent_req_set_cancel_fn(req, cancel_false);
	T("cancel ret=%d", tevent_req_cancel(req));
	tevent_req_set_cancel_fn(req, cancel_true);
	T("cancel ret=%d", tevent_req_cancel(req));
	print_is_error("req16", req);
	tevent_req_error(req, ECANCELED);
	/* # note: tevent_req_cancel still calls the cancel fn after the request finished (it is only cleared by tevent_req_received); it returns whatever the fn returns, false without a fn */
	T("cancel after finish ret=%d", tevent_req_cancel(req));
	TALLOC_FREE(req);

	/* # note: the cleanup fn runs before the callback, at most once per state; talloc_free of a request not yet received calls it with TEVENT_REQ_RECEIVED (a pending request freed sees only RECEIVED) */
	SECTION("cleanup_fn");
	req = mkreq(mem, "c-done", true);
	tevent_req_set_cleanup_fn(req, cleanup_fn);
	tevent_req_done(req);
	tevent_req_received(req);
	T("free c-done");
	TALLOC_FREE(req);
	req = mkreq(mem, "c-error", true);
	tevent_req_set_cleanup_fn(req, cleanup_fn);
	tevent_req_error(req, EIO);
	T("free c-error");
	TALLOC_FREE(req);
	req = mkreq(mem, "c-timeout", true);
	tevent_req_set_cleanup_fn(req, cleanup_fn);
	tevent_req_set_endtime(req, ev, tevent_timeval_zero());
	loop_once(ev);
	T("free c-timeout");
	TALLOC_FREE(req);
	req = mkreq(mem, "c-pending", true);
	tevent_req_set_cleanup_fn(req, cleanup_fn);
	T("free c-pending");
	TALLOC_FREE(req);
	req = mkreq(mem, "c-nomem", true);
	tevent_req_set_cleanup_fn(req, cleanup_fn);
	tevent_req_oom(req);
	T("free c-nomem");
	TALLOC_FREE(req);
	req = mkreq(mem, "c-received-pending", true);
	tevent_req_set_cleanup_fn(req, cleanup_fn);
	tevent_req_received(req);
	T("free c-received-pending");
	TALLOC_FREE(req);

	SECTION("print");
	req = mkreq(mem, "p1", true);
	/* # note: default print format: "tevent_req[%p/<create location>]: state[%d] error[%llu (0x%llX)]  state[<type name> (%p)] timer[%p] finish[<location or (null)>]" (two spaces before the second state[) */
	s = tevent_req_print(mem, req);
	print_normalised("print p1:", s);
	s = tevent_req_default_print(req, mem);
	print_normalised("default_print p1:", s);
	tevent_req_error(req, EINVAL);
	s = tevent_req_print(mem, req);
	print_normalised("print p1 error:", s);
	tevent_req_set_print_fn(req, custom_print);
	s = tevent_req_print(mem, req);
	T("print p1 custom: %s", s);
	s = tevent_req_default_print(req, mem);
	print_normalised("default_print p1 with custom fn:", s);
	tevent_req_set_print_fn(req, NULL);
	s = tevent_req_print(mem, req);
	print_normalised("print p1 fn reset:", s);
	TALLOC_FREE(req);
	req = mkreq(mem, "p2", true);
	tevent_req_set_endtime(req, ev, tevent_timeval_current_ofs(100, 0));
	tevent_req_done(req);
	s = tevent_req_print(mem, req);
	print_normalised("print p2 done with endtime:", s);
	TALLOC_FREE(req);

	SECTION("free pending");
	req = tevent_req_create(mem, &state, struct st);
	reg(req, "req17");
	reg(state, "state17");
	tevent_req_set_callback(req, cb, NULL);
	reg(tevent_add_timer(ev, state, tevent_timeval_current_ofs(5, 0), timer_handler, NULL), "t3");
	(void)watch(state, "state17-child");
	TALLOC_FREE(req);
	t0 = now_s();
	loop_wait(ev);
	T("loop_wait fast=%d", now_s() - t0 < 1.0);

	SECTION("nested");
	req = outer_send(mem, ev);
	tevent_req_set_callback(req, cb, NULL);
	b = tevent_req_poll(req, ev);
	T("poll ret=%d", b);
	print_is_error("outer", req);
	TALLOC_FREE(req);
	loop_wait(ev);

	SECTION("tevent_unix");
	req = mkreq(mem, "u1", false);
	tevent_req_done(req);
	perr = 0;
	b = tevent_req_is_unix_error(req, &perr);
	T("is_unix_error done ret=%d perrno=%d", b, perr);
	T("simple_recv_unix done ret=%d", tevent_req_simple_recv_unix(req));
	print_is_error("u1", req);
	TALLOC_FREE(req);
	req = mkreq(mem, "u2", false);
	tevent_req_error(req, EINVAL);
	perr = 0;
	b = tevent_req_is_unix_error(req, &perr);
	T("is_unix_error error ret=%d perrno=%d", b, perr);
	T("simple_recv_unix error ret=%d", tevent_req_simple_recv_unix(req));
	print_is_error("u2", req);
	TALLOC_FREE(req);
	req = mkreq(mem, "u3", false);
	tevent_req_oom(req);
	perr = 0;
	b = tevent_req_is_unix_error(req, &perr);
	T("is_unix_error nomem ret=%d perrno=%d", b, perr);
	TALLOC_FREE(req);
	req = mkreq(mem, "u4", false);
	tevent_req_set_endtime(req, ev, tevent_timeval_zero());
	perr = 0;
	b = tevent_req_poll_unix(req, ev, &perr);
	/* # note: tevent_req_poll_unix returns true (err untouched) when the request finished with an error; it only fails when tevent_loop_once fails */
	T("poll_unix timeout ret=%d err=%d", b, perr);
	perr = 0;
	b = tevent_req_is_unix_error(req, &perr);
	T("is_unix_error timeout ret=%d perrno=%d", b, perr);
	T("simple_recv_unix timeout ret=%d", tevent_req_simple_recv_unix(req));
	TALLOC_FREE(req);
	req = mkreq(mem, "u5", false);
	r2 = req;
	reg(tevent_add_timer(ev, req, tevent_timeval_zero(), timer_done_handler, r2), "t4");
	perr = 0;
	b = tevent_req_poll_unix(req, ev, &perr);
	T("poll_unix done ret=%d err=%d", b, perr);
	T("simple_recv_unix ret=%d", tevent_req_simple_recv_unix(req));
	TALLOC_FREE(req);
	req = mkreq(mem, "u7", false);
	perr = 0;
	b = tevent_req_is_unix_error(req, &perr);
	T("is_unix_error in progress ret=%d perrno=%d", b, perr);
	TALLOC_FREE(req);
	req = mkreq(mem, "u6", false);
	tevent_req_received(req);
	perr = 0;
	b = tevent_req_is_unix_error(req, &perr);
	/* # note: tevent_req_is_unix_error on a received (or in-progress) request returns true with perrno=EINVAL */
	T("is_unix_error received ret=%d perrno=%d", b, perr);
	TALLOC_FREE(req);

	SECTION("end");
	loop_wait(ev);
	talloc_free(mem);
	return 0;
}
