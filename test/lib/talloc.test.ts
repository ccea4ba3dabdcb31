import { expect } from "chai";
import {
  EINVAL, getErrno, setErrno, tallocChildren, tallocFree, tallocFreeChildren, tallocIsFreed, tallocMove,
  tallocNew, tallocParent, tallocReparent, tallocSetDestructor, tallocSteal, tallocTotalBlocks, tallocNode,
  tallocPeekNode,
} from "../../index";

function named(parent: object | null, name: string, log: string[], ret = 0): { name: string } {
  const o = tallocSteal(parent, { name });
  tallocSetDestructor(o, (p) => {
    log.push(`destructor ${p.name}`);
    return ret;
  });
  return o;
}

describe("talloc lifetimes (talloc.c)", () => {
  it("runs the destructor before freeing the children, children newest first (checked against libtalloc)", () => {
    const log: string[] = [];
    const top = named(null, "top", log);
    const a = named(top, "a", log);
    named(top, "b", log);
    named(a, "a1", log);
    named(a, "a2", log);
    expect(tallocFree(top)).to.equal(0);
    expect(log).to.deep.equal(["destructor top", "destructor b", "destructor a", "destructor a2", "destructor a1"]);
    expect(tallocIsFreed(a)).to.equal(true);
  });

  it("a destructor returning -1 refuses the free and keeps the children", () => {
    const log: string[] = [];
    const top = named(null, "top", log, -1);
    const c = named(top, "c", log);
    expect(tallocFree(top)).to.equal(-1);
    expect(log).to.deep.equal(["destructor top"]);
    expect(tallocParent(c)).to.equal(top);
    expect(tallocIsFreed(top)).to.equal(false);
    /* the destructor stays in place: a second free refuses again */
    expect(tallocFree(top)).to.equal(-1);
    tallocSetDestructor(top, null);
    expect(tallocFree(top)).to.equal(0);
    expect(log).to.deep.equal(["destructor top", "destructor top", "destructor c"]);
  });

  it("a refusing child moves to the grandparent when its parent was the newest sibling (checked against libtalloc)", () => {
    const log: string[] = [];
    const gp = tallocNew(null);
    const p = named(gp, "p", log);
    const stubborn = named(p, "stubborn", log, -1);
    expect(tallocFree(p)).to.equal(0);
    expect(tallocParent(stubborn)).to.equal(gp);
    expect(tallocChildren(gp)).to.deep.equal([stubborn]);
  });

  it("a refusing child becomes a root when its parent was not the newest sibling (checked against libtalloc)", () => {
    const log: string[] = [];
    const gp = tallocNew(null);
    const p = named(gp, "p", log);
    named(gp, "newer", log);
    const stubborn = named(p, "stubborn", log, -1);
    expect(tallocFree(p)).to.equal(0);
    expect(tallocParent(stubborn)).to.equal(null);
  });

  it("talloc_free_children moves a refusing child to the parent's parent", () => {
    const log: string[] = [];
    const gp = tallocNew(null);
    const p = named(gp, "p", log);
    const s = named(p, "s", log, -1);
    named(p, "t", log);
    tallocFreeChildren(p);
    expect(log).to.deep.equal(["destructor t", "destructor s"]);
    expect(tallocParent(s)).to.equal(gp);
    expect(tallocChildren(p)).to.deep.equal([]);
    expect(tallocIsFreed(p)).to.equal(false);
  });

  it("talloc_free(NULL) returns -1; freeing twice returns -1 and changes nothing", () => {
    setErrno(0);
    expect(tallocFree(null)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
    const o = tallocNew(null);
    expect(tallocFree(o)).to.equal(0);
    expect(tallocFree(o)).to.equal(-1);
  });

  it("freeing an object never attached runs its destructor only; strings are accepted", () => {
    expect(tallocFree({})).to.equal(0);
    expect(tallocFree("a string")).to.equal(0);
    const log: string[] = [];
    const o = { name: "o" };
    tallocSetDestructor(o, () => { log.push("d"); });
    expect(tallocFree(o)).to.equal(0);
    expect(log).to.deep.equal(["d"]);
  });

  it("freeing itself from inside its destructor returns -1", () => {
    const o = tallocNew(null);
    const results: number[] = [];
    tallocSetDestructor(o, (p) => { results.push(tallocFree(p)); return 0; });
    expect(tallocFree(o)).to.equal(0);
    expect(results).to.deep.equal([-1]);
  });

  it("talloc_steal moves an object to the head of its new parent's children", () => {
    const a = tallocNew(null);
    const b = tallocNew(null);
    const x = tallocNew(a);
    const y = tallocNew(b);
    expect(tallocSteal(b, x)).to.equal(x);
    expect(tallocParent(x)).to.equal(b);
    expect(tallocChildren(b)).to.deep.equal([x, y]);
    expect(tallocChildren(a)).to.deep.equal([]);
    expect(tallocSteal(null, x)).to.equal(x);
    expect(tallocParent(x)).to.equal(null);
    expect(tallocSteal(a, null)).to.equal(null);
  });

  it("talloc_reparent moves only from the named parent", () => {
    const a = tallocNew(null);
    const b = tallocNew(null);
    const x = tallocNew(a);
    expect(tallocReparent(b, a, x)).to.equal(null);
    expect(tallocParent(x)).to.equal(a);
    expect(tallocReparent(a, b, x)).to.equal(x);
    expect(tallocParent(x)).to.equal(b);
  });

  it("talloc_move is a steal", () => {
    const a = tallocNew(null);
    const x = tallocNew(null);
    expect(tallocMove(a, x)).to.equal(x);
    expect(tallocParent(x)).to.equal(a);
  });

  it("any JavaScript object can be parent or child, including frozen ones", () => {
    const log: string[] = [];
    const parent = new Map<string, number>();
    const frozen = Object.freeze({ name: "frozen" });
    tallocSteal(parent, frozen);
    tallocSetDestructor(frozen, () => { log.push("frozen"); });
    expect(tallocParent(frozen)).to.equal(parent);
    expect(tallocTotalBlocks(parent)).to.equal(2);
    expect(tallocFree(parent)).to.equal(0);
    expect(log).to.deep.equal(["frozen"]);
  });

  it("a free loop (an object stolen under its own child) terminates", () => {
    const a = tallocNew(null);
    const b = tallocNew(a);
    tallocSteal(b, a);
    expect(tallocFree(a)).to.equal(0);
  });

  it("a freed object leaves no children behind", () => {
    const a = tallocNew(null);
    for (let i = 0; i < 100; i++) tallocNew(a);
    expect(tallocTotalBlocks(a)).to.equal(101);
    tallocFree(a);
    expect(tallocChildren(a)).to.deep.equal([]);
  });

  it("wrong argument types throw a TypeError", () => {
    expect(() => tallocSteal(42 as unknown as object, {})).to.throw(TypeError);
    expect(() => tallocSetDestructor({}, 5 as unknown as null)).to.throw(TypeError);
  });

  it("tallocNode of something that is not an object: a TypeError saying so; of an object, its node, always the same", () => {
    expect(() => tallocNode(5 as unknown as object)).to.throw(TypeError, "tallocNode: ptr must be an object, got number");
    expect(() => tallocNode("s" as unknown as object)).to.throw(TypeError, "tallocNode: ptr must be an object, got string");
    expect(() => tallocNode(null as unknown as object)).to.throw(TypeError, "tallocNode: ptr must be an object, got null");
    expect(() => tallocNode(undefined as unknown as object))
      .to.throw(TypeError, "tallocNode: ptr must be an object, got undefined");
    expect(tallocPeekNode(5 as unknown as object)).to.equal(null);
    const o = {};
    expect(tallocPeekNode(o)).to.equal(null);
    const n = tallocNode(o);
    expect(tallocNode(o)).to.equal(n);
    expect(tallocPeekNode(o)).to.equal(n);
    const frozen = Object.freeze({});
    expect(tallocNode(frozen)).to.equal(tallocNode(frozen));
  });

  it("a destructor's busy marker never shows: setting another destructor or freeing again from inside it", () => {
    const log: string[] = [];
    const o = tallocNew(null);
    tallocSetDestructor(o, () => {
      log.push(`again ${tallocFree(o)}`);
      tallocSetDestructor(o, () => { log.push("second"); });
      return -1;
    });
    expect(tallocFree(o)).to.equal(-1);
    expect(tallocIsFreed(o)).to.equal(false);
    expect(tallocFree(o)).to.equal(0);
    expect(log).to.deep.equal(["again -1", "second"]);
  });
});
