/*
 * talloc_set_name / talloc_get_name: names set by the caller, replaced,
 * kept across talloc_steal, and the state name given to tevent_req_create.
 * (Default names are not compared: C's talloc_new names a context after
 * its source location, which JavaScript has not got.)
 */
#include "common.h"

struct foo_state {
	int x;
};

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	TALLOC_CTX *a = talloc_new(mem);
	TALLOC_CTX *b = talloc_new(mem);
	struct tevent_req *req;
	struct foo_state *st;

	SECTION("set and get");
	talloc_set_name(a, "%s", "alpha");
	T("a name=%s", talloc_get_name(a));
	talloc_set_name(a, "%s-%d", "beta", 2);
	T("a renamed=%s", talloc_get_name(a));
	talloc_set_name(a, "%s", "");
	T("a empty=\"%s\"", talloc_get_name(a));
	talloc_set_name(b, "%s", "struct foo");
	T("b name=%s", talloc_get_name(b));

	SECTION("steal keeps the name");
	talloc_set_name(a, "%s", "alpha");
	talloc_steal(b, a);
	T("a after steal name=%s parent=%s", talloc_get_name(a), talloc_get_name(talloc_parent(a)));

	SECTION("tevent_req_create names the state after its type");
	req = tevent_req_create(mem, &st, struct foo_state);
	T("state name=%s data_is_state=%d", talloc_get_name(tevent_req_data(req, struct foo_state)),
	  tevent_req_data(req, struct foo_state) == st);
	/* # note: after a rename, C's tevent_req_data(req, struct foo_state) aborts (talloc_get_type_abort); the port does not check types */
	talloc_set_name(st, "%s", "renamed_state");
	T("state renamed=%s", talloc_get_name(st));

	SECTION("end");
	talloc_free(mem);
	return 0;
}
