/**
 * 家校沟通 on a FakeWeCom (registered with `fake.route`, see server.ts), with the documented shapes
 * (../shared/wecom-api.md §4): the 家校通讯录 (`school/department/list`, `school/user/list`, `school/user/get`)
 * and 学校通知 (`externalcontact/message/send`: agentid must be the token's app's, else 301002; recipients not in
 * the directory come back in `invalid_parent_userid`; with enable_duplicate_check an identical request within the
 * interval is answered but not delivered again).
 *
 *   const school = new FakeSchool(fake, { agentId: 1000005, ...sunshineDirectory() });
 *   school.notices          // notices delivered: { to_parent_userid, msgtype, text | voice }
 *
 * `sunshineDirectory()` is test/helpers/testApp.ts's roster (阳光小学 三年级1班) as a school's 家校通讯录 would hold it.
 */
import type { FakeRequest, FakeWeCom } from './server';

export interface FakeDepartment {
  id: number;
  name: string;
  parentid: number;
  type: number;
}

interface FakeParent {
  parent_userid: string;
  relation: string;
  mobile: string;
  is_subscribe: number;
  external_userid?: string;
}

export interface FakeStudent {
  student_userid: string;
  name: string;
  department: number[];
  parents: FakeParent[];
}

export interface FakeNotice {
  agentid: number;
  to_parent_userid: string[];
  msgtype: string;
  body: any;
  at: number;
}

export class FakeSchool {
  readonly notices: FakeNotice[] = [];
  departments: FakeDepartment[];
  students: FakeStudent[];
  /** Student ids whose `school/user/list` entry leaves out the parents (read with school/user/get instead). */
  readonly listWithoutParents = new Set<string>();
  private readonly agentId: number;
  private readonly recent = new Map<string, number>();
  private readonly now: () => number;

  /** `now`: the time WeCom's duplicate check runs on (default real time; scenario runs pass the simulated clock). */
  constructor(readonly fake: FakeWeCom, opts: { agentId: number; departments: FakeDepartment[]; students: FakeStudent[]; now?: () => number }) {
    this.agentId = opts.agentId;
    this.now = opts.now ?? Date.now;
    this.departments = opts.departments;
    this.students = opts.students;
    fake.route('school/department/list', () => ({ departments: this.departments }));
    fake.route('school/user/list', (req) => this.list(req));
    fake.route('school/user/get', (req) => this.get(req));
    fake.route('externalcontact/message/send', (req) => this.send(req));
  }

  get parentIds(): Set<string> {
    return new Set(this.students.flatMap((s) => s.parents.map((p) => p.parent_userid)));
  }

  /**
   * Whether the directory has this parent. Reads a copy of the ids made when one was missing: building the set
   * for each send made the fake, not the bot, the bottleneck of a 60,000-parent fan-out. Tests only add
   * students and parents, so a copy can lack an id but never hold a removed one.
   */
  private knows(id: string): boolean {
    if (this.known?.has(id)) return true;
    this.known = this.parentIds;
    return this.known.has(id);
  }
  private known?: Set<string>;

  noticesTo(parentUserId: string): FakeNotice[] {
    return this.notices.filter((n) => n.to_parent_userid.includes(parentUserId));
  }

  private list(req: FakeRequest): Record<string, unknown> {
    const dept = Number(req.query.department_id);
    if (!this.departments.some((d) => d.id === dept)) return { errcode: 60123, errmsg: 'invalid party id' };
    const students = this.students.filter((s) => s.department.includes(dept))
      .map((s) => (this.listWithoutParents.has(s.student_userid) ? { ...s, parents: undefined } : s));
    return { students };
  }

  private get(req: FakeRequest): Record<string, unknown> {
    const s = this.students.find((x) => x.student_userid === req.query.userid);
    if (!s) return { errcode: 60111, errmsg: 'userid not found' };
    return { user_type: 1, student: s };
  }

  private send(req: FakeRequest): Record<string, unknown> {
    const b = req.body ?? {};
    if (req.app.agentId !== undefined && Number(b.agentid) !== req.app.agentId) return { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken.' };
    if (Number(b.agentid) !== this.agentId) return { errcode: 40056, errmsg: 'invalid agentid' };
    if ((b.recv_scope ?? 0) !== 0) return { errcode: 95000, errmsg: 'the fake only serves recv_scope 0 (parents)' };
    if (b.msgtype === 'text') {
      if (!String(b.text?.content ?? '')) return { errcode: 44004, errmsg: 'empty content' };
    } else if (b.msgtype === 'voice') {
      if (!this.fake.media.has(String(b.voice?.media_id ?? ''))) return { errcode: 40007, errmsg: 'invalid media_id' };
    } else {
      return { errcode: 95000, errmsg: `msgtype ${b.msgtype} not supported by the fake` };
    }
    const to: string[] = Array.isArray(b.to_parent_userid) ? b.to_parent_userid.map(String) : [];
    const invalid = to.filter((id) => !this.knows(id));
    const valid = to.filter((id) => this.knows(id));
    if (b.enable_duplicate_check) {
      const sig = JSON.stringify(b);
      const seen = this.recent.get(sig);
      const now = this.now();
      this.recent.set(sig, now);
      if (seen !== undefined && now >= seen && now - seen < Number(b.duplicate_check_interval ?? 1800) * 1000) return { invalid_parent_userid: invalid };
    }
    if (valid.length) this.notices.push({ agentid: Number(b.agentid), to_parent_userid: valid, msgtype: b.msgtype, body: b, at: this.now() });
    return { invalid_parent_userid: invalid, invalid_student_userid: [], invalid_party: [] };
  }
}

/** 阳光小学 三年级1班 from test/helpers/testApp.ts's ROSTER_CSV, plus a student we do not have. */
export function sunshineDirectory(): { departments: FakeDepartment[]; students: FakeStudent[] } {
  const wang = [
    { parent_userid: 'p_wangjianguo', relation: '爸爸', mobile: '13800138001', is_subscribe: 1, external_userid: 'wmDad' },
    { parent_userid: 'p_liufang', relation: '妈妈', mobile: '13800138002', is_subscribe: 1, external_userid: 'wmMum' },
    { parent_userid: 'p_wangnainai', relation: '奶奶', mobile: '13800138003', is_subscribe: 0 },
  ];
  return {
    departments: [
      { id: 1, name: '示范县教育局', parentid: 0, type: 5 },
      { id: 2, name: '阳光小学', parentid: 1, type: 4 },
      { id: 3, name: '三年级', parentid: 2, type: 2 },
      { id: 4, name: '(1)班', parentid: 3, type: 1 },
      { id: 5, name: '四年级', parentid: 2, type: 2 },
      { id: 6, name: '2班', parentid: 5, type: 1 },
    ],
    students: [
      { student_userid: 's_wxm', name: '王小明', department: [4], parents: wang },
      { student_userid: 's_wxh', name: '王小华', department: [4], parents: wang },
      {
        student_userid: 's_lxh', name: '李小红', department: [4], parents: [
          { parent_userid: 'p_liqiang', relation: '爸爸', mobile: '+86 138-0013-8011', is_subscribe: 1, external_userid: 'wmLiDad' },
          { parent_userid: 'p_chenmei', relation: '妈妈', mobile: '13800138012', is_subscribe: 1 },
          { parent_userid: 'p_lilaoye', relation: '外公', mobile: '13800138099', is_subscribe: 0 },
        ],
      },
      { student_userid: 's_zxg', name: '赵小刚', department: [4], parents: [{ parent_userid: 'p_zhao', relation: '爸爸', mobile: '13800138077', is_subscribe: 1 }] },
    ],
  };
}
