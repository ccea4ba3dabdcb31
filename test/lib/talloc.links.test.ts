// The child lists of talloc.ts under random steals and frees, against a
// model.  linkHead does not store the second child's tcPrev (unlink knows
// it is the head): every position a child can be unlinked from, head,
// second, third and later, must keep the lists whole.

import { expect } from "chai";
import {
  tallocChildren, tallocFree, tallocFreeChildren, tallocIsFreed, tallocNew, tallocParent, tallocSteal,
  teventReqCreate,
} from "../../index";

/* a small deterministic generator (xorshift32) */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

class Leaf { constructor(readonly id: number) {} }

describe("talloc child lists (random steals and frees against a model)", () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`keeps every parent's children in order, seed ${seed}`, () => {
      const rand = rng(seed);
      const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)];
      /* parents: contexts that are never freed; children: leaves, contexts, requests */
      const parents = [tallocNew(null), tallocNew(null), tallocNew(null)];
      const model = new Map<object, object[]>(parents.map((p) => [p, []]));
      const parentOf = new Map<object, object>();
      const live: object[] = [];
      let id = 0;

      const remove = (o: object): void => {
        const p = parentOf.get(o) as object;
        const l = model.get(p) as object[];
        l.splice(l.indexOf(o), 1);
        parentOf.delete(o);
        live.splice(live.indexOf(o), 1);
      };
      const add = (p: object, o: object): void => {
        (model.get(p) as object[]).unshift(o);
        parentOf.set(o, p);
      };

      for (let step = 0; step < 3000; step++) {
        const r = rand();
        if (live.length < 4 || r < 0.4) {
          /* a new child of a random parent: a leaf, a context or a request */
          const p = pick(parents);
          const k = rand();
          const o = k < 0.4 ? tallocSteal(p, new Leaf(id++))
            : k < 0.7 ? tallocNew(p)
              : teventReqCreate(p, new Leaf(id++), "struct leaf");
          add(p, o);
          live.push(o);
        } else if (r < 0.7) {
          /* free a child from anywhere in its list */
          const o = pick(live);
          remove(o);
          expect(tallocFree(o)).to.equal(0);
          expect(tallocIsFreed(o)).to.equal(true);
        } else if (r < 0.97) {
          /* steal a child to a parent: talloc leaves the head of the new parent in place */
          const o = pick(live);
          const p = pick(parents);
          const l = model.get(p) as object[];
          if (!(parentOf.get(o) === p && l[0] === o)) {
            remove(o);
            add(p, o);
            live.push(o);
          }
          tallocSteal(p, o);
        } else {
          const p = pick(parents);
          for (const o of (model.get(p) as object[]).slice()) remove(o);
          tallocFreeChildren(p);
        }
        for (const p of parents) expect(tallocChildren(p)).to.deep.equal(model.get(p));
      }
      for (const o of live) expect(tallocParent(o)).to.equal(parentOf.get(o));
      for (const p of parents) tallocFree(p);
      for (const o of live) expect(tallocIsFreed(o)).to.equal(true);
    });
  }

  it("unlinks the second, third and last child, and a head that had a second", () => {
    const top = tallocNew(null);
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((n) => tallocSteal(top, { n }));
    expect(tallocChildren(top)).to.deep.equal([e, d, c, b, a]);
    tallocFree(d); /* the second */
    expect(tallocChildren(top)).to.deep.equal([e, c, b, a]);
    tallocFree(b); /* the third */
    expect(tallocChildren(top)).to.deep.equal([e, c, a]);
    tallocFree(a); /* the last */
    expect(tallocChildren(top)).to.deep.equal([e, c]);
    tallocFree(e); /* the head */
    expect(tallocChildren(top)).to.deep.equal([c]);
    const f = tallocSteal(top, { n: "f" });
    const g = tallocSteal(top, { n: "g" });
    tallocFree(f); /* the second again, after the head changed */
    expect(tallocChildren(top)).to.deep.equal([g, c]);
    tallocFree(c);
    expect(tallocChildren(top)).to.deep.equal([g]);
    tallocFree(top);
    expect(tallocIsFreed(g)).to.equal(true);
  });
});
