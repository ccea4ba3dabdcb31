// talloc_set_name / talloc_get_name: port of conformance/c/talloc_name.c.
import {
  tallocNew, tallocFree, tallocSetName, tallocGetName, tallocSteal, tallocParent,
  teventReqCreate, teventReqData,
} from "tevent-tsocket";
import { T, SECTION, run } from "./common.js";

class FooState {
  x = 0;
}

run(() => {
  const mem = tallocNew(null);
  const a = tallocNew(mem);
  const b = tallocNew(mem);

  SECTION("set and get");
  tallocSetName(a, "alpha");
  T(`a name=${tallocGetName(a)}`);
  tallocSetName(a, `${"beta"}-${2}`);
  T(`a renamed=${tallocGetName(a)}`);
  tallocSetName(a, "");
  T(`a empty="${tallocGetName(a)}"`);
  tallocSetName(b, "struct foo");
  T(`b name=${tallocGetName(b)}`);

  SECTION("steal keeps the name");
  tallocSetName(a, "alpha");
  tallocSteal(b, a);
  T(`a after steal name=${tallocGetName(a)} parent=${tallocGetName(tallocParent(a))}`);

  SECTION("tevent_req_create names the state after its type");
  const st = new FooState();
  const req = teventReqCreate(mem, st, "struct foo_state");
  T(`state name=${tallocGetName(teventReqData(req))} data_is_state=${teventReqData(req) === st ? 1 : 0}`);
  tallocSetName(st, "renamed_state");
  T(`state renamed=${tallocGetName(st)}`);

  SECTION("end");
  tallocFree(mem);
});
