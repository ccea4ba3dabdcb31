import { expect } from "chai";
import {
  tallocFree, tallocFreeChildren, tallocIsFreed, tallocNew, tallocParent, tallocSetDestructor, tallocSteal,
  teventReqCreate, teventReqData, teventReqReceived,
} from "../../index";

/*
 * A request's state is the request's lazy child (lib/talloc.ts,
 * TallocLazyOwner): it has no talloc node until talloc is asked about it.
 * A destructor set on it is kept without making a node; these check that
 * it still behaves as talloc does.
 */
class St {
  constructor(readonly log: string[]) {}
}

function stateDestructor(ret = 0): (s: St) => number {
  return (s) => {
    s.log.push("state destructor");
    return ret;
  };
}

describe("talloc: a request's state with a destructor (lazy child)", () => {
  it("freeing the request runs the state's destructor first, then the request's other children (checked against libtevent)", () => {
    const log: string[] = [];
    const mem = tallocNew(null);
    const st = new St(log);
    const req = teventReqCreate(mem, st);
    tallocSetDestructor(st, (s: St) => {
      s.log.push(`state destructor, parent is req: ${tallocParent(s) === req}`);
      return 0;
    });
    const c = tallocSteal(req, { n: "c" });
    tallocSetDestructor(c, () => { log.push("child c destructor"); });
    expect(tallocFree(req)).to.equal(0);
    expect(log).to.deep.equal(["state destructor, parent is req: true", "child c destructor"]);
    expect(tallocIsFreed(st)).to.equal(true);
    tallocFree(mem);
  });

  it("tallocFreeChildren of the request frees the state last, the oldest child (checked against libtevent)", () => {
    const log: string[] = [];
    const mem = tallocNew(null);
    const st = new St(log);
    const req = teventReqCreate(mem, st);
    tallocSetDestructor(st, stateDestructor());
    const c = tallocSteal(req, {});
    tallocSetDestructor(c, () => { log.push("child c2 destructor"); });
    tallocFreeChildren(req);
    expect(log).to.deep.equal(["child c2 destructor", "state destructor"]);
    expect(tallocIsFreed(st)).to.equal(true);
    expect(tallocIsFreed(req)).to.equal(false);
    tallocFree(mem);
  });

  it("teventReqReceived runs it once; the state is freed, the request's data null", () => {
    const log: string[] = [];
    const st = new St(log);
    const req = teventReqCreate(null, st);
    tallocSetDestructor(st, stateDestructor());
    teventReqReceived(req);
    expect(log).to.deep.equal(["state destructor"]);
    expect(teventReqData(req)).to.equal(null);
    expect(tallocIsFreed(st)).to.equal(true);
    expect(tallocFree(req)).to.equal(0);
    expect(log).to.have.length(1);
  });

  it("tallocSetDestructor(state, null) removes it; setting another replaces it", () => {
    const log: string[] = [];
    const st = new St(log);
    const req = teventReqCreate(null, st);
    tallocSetDestructor(st, stateDestructor());
    tallocSetDestructor(st, null);
    teventReqReceived(req);
    expect(log).to.deep.equal([]);
    const st2 = new St(log);
    const req2 = teventReqCreate(null, st2);
    tallocSetDestructor(st2, () => { log.push("first"); });
    tallocSetDestructor(st2, () => { log.push("second"); });
    tallocFree(req2);
    expect(log).to.deep.equal(["second"]);
    tallocFree(req);
  });

  it("the destructor survives the state getting a node (a child hung on it), and runs before that child", () => {
    const log: string[] = [];
    const st = new St(log);
    const req = teventReqCreate(null, st);
    tallocSetDestructor(st, stateDestructor());
    const c = tallocSteal(st, {});
    tallocSetDestructor(c, () => { log.push("state's child"); });
    expect(tallocParent(c)).to.equal(st);
    expect(tallocParent(st)).to.equal(req);
    tallocFree(req);
    expect(log).to.deep.equal(["state destructor", "state's child"]);
  });

  it("tallocFree of the state itself runs it; a free from inside its own destructor is refused", () => {
    const log: string[] = [];
    const st = new St(log);
    const req = teventReqCreate(null, st);
    let inner = 0;
    tallocSetDestructor(st, (s: St) => {
      inner = tallocFree(s);
      s.log.push(`parent is req: ${tallocParent(s) === req}`);
      return 0;
    });
    expect(tallocFree(st)).to.equal(0);
    expect(inner).to.equal(-1);
    expect(log).to.deep.equal(["parent is req: true"]);
    expect(tallocIsFreed(st)).to.equal(true);
    expect(tallocParent(st)).to.equal(null);
  });

  it("a destructor that refuses keeps the state (a child of the request); it runs again when the request goes", () => {
    const log: string[] = [];
    const mem = tallocNew(null);
    const st = new St(log);
    const req = teventReqCreate(mem, st);
    tallocSetDestructor(st, stateDestructor(-1));
    expect(tallocFree(st)).to.equal(-1);
    expect(tallocIsFreed(st)).to.equal(false);
    expect(tallocParent(st)).to.equal(req);
    /* (C aborts when tevent_req_received cannot free the state; here the
     * state stays, a child of the request, and data is null) */
    teventReqReceived(req);
    expect(teventReqData(req)).to.equal(null);
    expect(tallocIsFreed(st)).to.equal(false);
    expect(log).to.deep.equal(["state destructor", "state destructor"]);
    tallocSetDestructor(st, null);
    tallocFree(req);
    expect(tallocIsFreed(st)).to.equal(true);
    tallocFree(mem);
  });

  it("a destructor that throws keeps its place: the next free runs it again", () => {
    const st = new St([]);
    const req = teventReqCreate(null, st);
    let calls = 0;
    tallocSetDestructor(st, () => {
      calls++;
      if (calls === 1) throw new Error("boom");
      return 0;
    });
    expect(() => teventReqReceived(req)).to.throw("boom");
    expect(tallocIsFreed(st)).to.equal(false);
    expect(tallocFree(st)).to.equal(0);
    expect(calls).to.equal(2);
    expect(tallocIsFreed(st)).to.equal(true);
  });
});
