/* talloc lifetimes: destructors, free order, steal/reparent/move. */
#include "common.h"

static int refuse_destructor(void *p)
{
	T("destructor %s refuses", nm(p));
	return -1;
}

static void *mk(const void *parent, const char *label)
{
	void *p = talloc_new(parent);
	reg(p, label);
	talloc_set_destructor(p, watch_destructor);
	return p;
}

static void *self_free_target;
static int self_free_destructor(void *p)
{
	T("destructor %s", nm(p));
	T("inner free self ret=%d", talloc_free(p));
	return 0;
}

static void *sibling_target;
static int free_sibling_destructor(void *p)
{
	T("destructor %s", nm(p));
	T("inner free %s ret=%d", nm(sibling_target), talloc_free(sibling_target));
	return 0;
}

static void *child_target;
static int free_child_destructor(void *p)
{
	T("destructor %s", nm(p));
	T("inner free %s ret=%d", nm(child_target), talloc_free(child_target));
	return 0;
}

static int count = 0;
static int refuse_once_destructor(void *p)
{
	count++;
	T("destructor %s call=%d", nm(p), count);
	return count == 1 ? -1 : 0;
}

int main(void)
{
	void *top, *p, *c1, *c2, *c3, *g, *q, *x, *gp, *r;

	/* # note: talloc_free runs the object's destructor first, then frees its children newest-first (depth-first: a child's destructor, then its own children) */
	SECTION("free order");
	p = mk(NULL, "p");
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	c3 = mk(p, "c3");
	g = mk(c2, "g");
	(void)c1; (void)c3; (void)g;
	T("free p ret=%d", talloc_free(p));

	SECTION("free NULL");
	T("free NULL ret=%d", talloc_free(NULL));

	SECTION("destructor refuses");
	p = mk(NULL, "p");
	c1 = mk(p, "c1");
	talloc_set_destructor(p, refuse_destructor);
	T("free p ret=%d", talloc_free(p));
	T("parent c1=%s", nm(talloc_parent(c1)));
	talloc_set_destructor(p, NULL);
	T("free p ret=%d", talloc_free(p));

	/* # note: after a destructor refuses (-1) it stays installed and is called again by the next talloc_free */
	SECTION("destructor refuses once then accepts");
	p = mk(NULL, "p");
	talloc_set_destructor(p, refuse_once_destructor);
	T("free p ret=%d", talloc_free(p));
	T("free p ret=%d", talloc_free(p));

	SECTION("refusing child of freed parent");
	gp = mk(NULL, "gp");
	p = mk(gp, "p");
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	c3 = mk(p, "c3");
	g = mk(c2, "g");
	talloc_set_destructor(c2, refuse_destructor);
	T("free p ret=%d", talloc_free(p));
	/* # note: a child whose destructor refuses during its parent's free is moved to the grandparent, with its own children intact */
	T("parent c2=%s", nm(talloc_parent(c2)));
	T("parent g=%s", nm(talloc_parent(g)));
	talloc_set_destructor(c2, watch_destructor);
	T("free gp ret=%d", talloc_free(gp));

	SECTION("refusing child of freed top-level parent");
	p = mk(NULL, "p");
	c1 = mk(p, "c1");
	talloc_set_destructor(c1, refuse_destructor);
	T("free p ret=%d", talloc_free(p));
	/* # note: a refusing child of a freed top-level parent becomes a top-level object (parent NULL) */
	T("parent c1=%s", nm(talloc_parent(c1)));
	talloc_set_destructor(c1, watch_destructor);
	T("free c1 ret=%d", talloc_free(c1));

	SECTION("talloc_new");
	top = mk(NULL, "top");
	x = talloc_new(top);
	reg(x, "x");
	T("parent x=%s", nm(talloc_parent(x)));
	T("parent top=%s", nm(talloc_parent(top)));

	SECTION("talloc_steal");
	p = mk(top, "p");
	q = mk(top, "q");
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	x = mk(q, "x");
	T("steal x ret=%s", nm(talloc_steal(p, x)));
	T("parent x=%s", nm(talloc_parent(x)));
	/* # note: talloc_steal to the current parent still moves the child to the newest position (it is freed first); a stolen child counts as the newest */
	T("steal c1 to same parent ret=%s", nm(talloc_steal(p, c1)));
	T("free q ret=%d", talloc_free(q));
	T("free p ret=%d", talloc_free(p));
	x = mk(top, "x");
	T("steal x to NULL ret=%s", nm(talloc_steal(NULL, x)));
	T("parent x=%s", nm(talloc_parent(x)));
	T("steal NULL ret=%s", nm(talloc_steal(top, NULL)));
	T("free x ret=%d", talloc_free(x));

	SECTION("talloc_reparent");
	p = mk(top, "p");
	q = mk(top, "q");
	x = mk(p, "x");
	T("reparent wrong old ret=%s", nm(talloc_reparent(q, top, x)));
	T("parent x=%s", nm(talloc_parent(x)));
	T("reparent p->q ret=%s", nm(talloc_reparent(p, q, x)));
	T("parent x=%s", nm(talloc_parent(x)));
	T("free p ret=%d", talloc_free(p));
	T("free q ret=%d", talloc_free(q));

	SECTION("talloc_move");
	p = mk(top, "p");
	q = mk(top, "q");
	x = mk(p, "x");
	r = x;
	T("move ret=%s", nm(talloc_move(q, &r)));
	T("parent x=%s", nm(talloc_parent(x)));
	T("free q ret=%d", talloc_free(q));
	T("free p ret=%d", talloc_free(p));

	SECTION("talloc_free_children");
	p = mk(top, "p");
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	c3 = mk(p, "c3");
	talloc_free_children(p);
	T("parent p=%s", nm(talloc_parent(p)));
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	talloc_set_destructor(c1, refuse_destructor);
	talloc_free_children(p);
	/* # note: talloc_free_children moves a child whose destructor refuses to the grandparent, not keeping it under the parent */
	T("parent c1=%s", nm(talloc_parent(c1)));
	talloc_set_destructor(c1, watch_destructor);
	T("free c1 ret=%d", talloc_free(c1));
	T("free p ret=%d", talloc_free(p));

	SECTION("free from inside a destructor");
	p = mk(top, "p");
	x = talloc_new(p);
	reg(x, "self");
	talloc_set_destructor(x, self_free_destructor);
	(void)self_free_target;
	/* # note: talloc_free of an object from inside its own destructor returns -1 and does nothing; the outer free then succeeds */
	T("free self ret=%d", talloc_free(x));
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	talloc_set_destructor(c1, free_sibling_destructor);
	sibling_target = c2;
	T("free c1 ret=%d", talloc_free(c1));
	x = talloc_new(p);
	reg(x, "x");
	talloc_set_destructor(x, free_child_destructor);
	child_target = mk(x, "xc");
	(void)mk(x, "xd");
	T("free x ret=%d", talloc_free(x));
	/* parent freed while a child's destructor frees a younger sibling */
	c1 = mk(p, "c1");
	c2 = mk(p, "c2");
	c3 = mk(p, "c3");
	talloc_set_destructor(c3, free_sibling_destructor);
	sibling_target = c1;
	T("free p ret=%d", talloc_free(p));

	SECTION("end");
	T("free top ret=%d", talloc_free(top));
	return 0;
}
