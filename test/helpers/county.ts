/**
 * A county's worth of records, written straight into the database (insertMany in batches): schools, classes,
 * staff (a principal per school, a head teacher per class, pairing teachers with three children each), children,
 * pairings, and for every child three bound family members (father and mother in text style, a guardian of 68
 * who reads little and so gets the voice style), with the Identity records binding would have written, and
 * optionally a submitted ProgressNote per child for one period.
 *
 * Every field is set the way the real code sets it (roster/staff import, binding by code, saveNote), so
 * resolvePerson, routing and note delivery work on it as on imported data. Free of jest: the bench imports it.
 *
 *   await connectDatabase(uri);
 *   const county = await seedCounty({ orgId: 'default', children: 20_000, notePeriod: '2026-11' });
 *   county.addresses      // every family address: f-<i>, m-<i>, g-<i> (i = 0 … children-1)
 *
 * Addresses: family `${prefix}f-<i>` / `m-` / `g-`; staff `${prefix}t-<n>` (pairing teachers), `${prefix}h-<s>-<c>`
 * (head teachers), `${prefix}p-<s>` (principals). `parentUserIds: true` also gives each family member the
 * 家校通讯录 id `p_<address>` (FamilyMember.wecomParentUserId, as the school sync writes it), so that 学校通知
 * (wecom-school) can reach them; `parents` lists them for a fake directory.
 */
import { Types } from 'mongoose';
import type { Model } from 'mongoose';
import { Child, childIdentityKey } from '../../src/models/child';
import { Classroom } from '../../src/models/classroom';
import { FamilyMember } from '../../src/models/familyMember';
import { generateCode } from '../../src/models/bindingCode';
import { Identity } from '../../src/models/identity';
import { Org } from '../../src/models/org';
import { Pairing } from '../../src/models/pairing';
import { ProgressNote } from '../../src/models/progressNote';
import { School } from '../../src/models/school';
import { Staff } from '../../src/models/staff';
import { wrote } from '../../src/models/writeCounts';

export interface CountyOptions {
  orgId: string;
  children: number;
  /** A submitted note (YYYY-MM) for every child; none when unset. */
  notePeriod?: string;
  /** Default: one school per 500 children, at least 1, at most 20. */
  schools?: number;
  /** Children per class (default 40). */
  classSize?: number;
  /** Prefix of every address and name, to seed twice into one org. */
  prefix?: string;
  /** When the records were imported, bindings made and pairings began (default: a year ago). */
  at?: Date;
  /** Give each family member a 家校通讯录 parent_userid `p_<address>` (for wecom-school). */
  parentUserIds?: boolean;
  /** Rows per insertMany (default 1000). */
  batch?: number;
}

interface CountyFamily {
  childIndex: number;
  childId: string;
  role: 'father' | 'mother' | 'guardian';
  address: string;
  memberId: string;
  /** Set with `parentUserIds`. */
  parentUserId?: string;
}

export interface County {
  orgId: string;
  /** Every bound family address, in child order (father, mother, guardian of child 0, then child 1 …). */
  addresses: string[];
  childIds: string[];
  schoolIds: string[];
  classroomIds: string[];
  /** Pairing teachers' addresses (wecomUserId); teacherOf[i] is child i's. */
  teachers: string[];
  teacherOf: string[];
  family: CountyFamily[];
  /** Milliseconds the writes took. */
  ms: number;
}

type Doc = Record<string, unknown> & { _id: Types.ObjectId };

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗';
const GIVEN = '小明红华军丽强芳伟娜敏静磊洋勇艳杰娟涛超';

/** A readable, distinct name per index (the notes and replies carry the child's name). */
function nameOf(i: number, prefix: string): string {
  return `${prefix}${SURNAMES[i % SURNAMES.length]}${GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length]}${i}`;
}

async function insertAll(model: Model<any>, docs: Doc[], batch: number): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  // Raw driver inserts: the documents are complete already (defaults and timestamps set here), and mongoose's
  // per-document casting is what would make 20,000 children slow.
  for (let i = 0; i < docs.length; i += batch) await model.collection.insertMany(docs.slice(i, i + batch), { ordered: false });
  wrote(model.modelName); // past mongoose's middleware: the bot's roster snapshot must still hear of it
}

export async function seedCounty(opts: CountyOptions): Promise<County> {
  const started = Date.now();
  const { orgId, children: n } = opts;
  const prefix = opts.prefix ?? '';
  const at = opts.at ?? new Date(Date.now() - 365 * 24 * 3600_000);
  const batch = opts.batch ?? 1000;
  const classSize = opts.classSize ?? 40;
  const schoolCount = Math.max(1, opts.schools ?? Math.min(20, Math.ceil(n / 500)));
  const stamp = { createdAt: at, updatedAt: at };

  // The org row startApp would create, so a seed before the bot's first start has its time zone and quiet hours.
  await Org.updateOne({ _id: orgId }, {
    $setOnInsert: { name: '示范县教育局', timeZone: 'Asia/Shanghai', quietHours: '21:30-07:30', lang: 'zh-CN', showTeacherPhone: false, schedule: {} },
  }, { upsert: true });

  const schools: Doc[] = [];
  const classes: Doc[] = [];
  const staff: Doc[] = [];
  const identities: Doc[] = [];
  const kids: Doc[] = [];
  const members: Doc[] = [];
  const pairings: Doc[] = [];
  const notes: Doc[] = [];
  const county: County = { orgId, addresses: [], childIds: [], schoolIds: [], classroomIds: [], teachers: [], teacherOf: [], family: [], ms: 0 };
  const codes = new Set<string>();
  const freshCode = (): string => {
    for (;;) {
      const c = generateCode();
      if (!codes.has(c)) {
        codes.add(c);
        return c;
      }
    }
  };
  const addStaff = (schoolId: Types.ObjectId, address: string, name: string, role: string, classroomId?: Types.ObjectId): Types.ObjectId => {
    const _id = new Types.ObjectId();
    staff.push({
      _id, orgId, schoolId, name, wecomUserId: address, phone: `139${String(staff.length).padStart(8, '0')}`, role,
      ...(classroomId ? { classroomId } : {}), isPartyMember: staff.length % 3 === 0, maxChildren: 3, teacherRoom: 'teachers', active: true, ...stamp,
    });
    identities.push({ _id: new Types.ObjectId(), orgId, address, kind: 'staff', staffId: _id, verifiedVia: 'staff_import', verifiedAt: at, displayName: name, ...stamp });
    return _id;
  };

  // Children are spread over the schools in order: school s gets a contiguous range, cut into classes.
  const perSchool = Math.ceil(n / schoolCount);
  let teacherNo = 0;
  for (let s = 0; s < schoolCount; s++) {
    const from = s * perSchool;
    const to = Math.min(n, from + perSchool);
    if (from >= to) break;
    const schoolId = new Types.ObjectId();
    schools.push({ _id: schoolId, orgId, name: `${prefix}第${s + 1}中心小学`, teacherRoom: 'teachers', showTeacherPhone: false, ...stamp });
    county.schoolIds.push(String(schoolId));
    addStaff(schoolId, `${prefix}p-${s}`, `${prefix}校长${s}`, 'principal');
    let teacher: { id: Types.ObjectId; address: string } | undefined;
    let paired = 0;
    for (let c = 0; from + c * classSize < to; c++) {
      const classroomId = new Types.ObjectId();
      const className = `${Math.floor(c / 4) + 1}年级${(c % 4) + 1}班`;
      const headId = addStaff(schoolId, `${prefix}h-${s}-${c}`, `${prefix}班主任${s}-${c}`, 'head_teacher', classroomId);
      classes.push({ _id: classroomId, orgId, schoolId, name: className, headTeacherId: headId, ...stamp });
      county.classroomIds.push(String(classroomId));
      for (let i = from + c * classSize; i < Math.min(to, from + (c + 1) * classSize); i++) {
        // A pairing teacher takes three children (the schools' rule of thumb), within the school.
        if (!teacher || paired === 3) {
          const address = `${prefix}t-${teacherNo}`;
          teacher = { id: addStaff(schoolId, address, `${prefix}老师${teacherNo}`, 'teacher'), address };
          county.teachers.push(address);
          teacherNo++;
          paired = 0;
        }
        paired++;
        const childId = new Types.ObjectId();
        const name = nameOf(i, prefix);
        const birthDate = `${2012 + (i % 6)}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 26) + 3).padStart(2, '0')}`; // never the 1st or 2nd: no birthday reminders beside the 1st's notes
        kids.push({
          _id: childId, orgId, schoolId, classroomId, identityKey: childIdentityKey(String(schoolId), className, name, birthDate),
          name, gender: i % 2 ? 'female' : 'male', birthDate, leftBehind: 'both', livingWith: 'grandparents', boarding: false, priority: i % 10 === 0,
          status: 'active', history: [{ at, source: 'import', changed: ['created'] }], ...stamp,
        });
        county.childIds.push(String(childId));
        county.teacherOf.push(teacher.address);
        pairings.push({ _id: new Types.ObjectId(), orgId, childId, teacherId: teacher.id, from: at, proposed: false, ...stamp });

        const roles = [
          { role: 'father' as const, letter: 'f', fields: { name: `${name}爸爸`, phone: `138${String(i * 3).padStart(8, '0')}`, workCity: '广东东莞' } },
          { role: 'mother' as const, letter: 'm', fields: { name: `${name}妈妈`, phone: `138${String(i * 3 + 1).padStart(8, '0')}`, workCity: '浙江义乌' } },
          // 68 and 不识字: prefersVoice → voice style by default, as for the demo's 王奶奶.
          { role: 'guardian' as const, letter: 'g', fields: { name: `${name}奶奶`, phone: `138${String(i * 3 + 2).padStart(8, '0')}`, relation: '祖母', age: 68, literacy: 'illiterate' } },
        ];
        for (const r of roles) {
          const address = `${prefix}${r.letter}-${i}`;
          const memberId = new Types.ObjectId();
          const parentUserId = opts.parentUserIds ? `p_${address}` : undefined;
          members.push({
            _id: memberId, orgId, childId, role: r.role, ...r.fields, code: freshCode(),
            boundAddress: address, boundAt: at, boundVia: 'code', ...(parentUserId ? { wecomParentUserId: parentUserId } : {}), ...stamp,
          });
          // What binding by code writes (handlers/registration.ts): no style, so the member's default applies.
          identities.push({ _id: new Types.ObjectId(), orgId, address, kind: 'family', verifiedVia: 'code', verifiedAt: at, displayName: r.fields.name, ...stamp });
          county.addresses.push(address);
          county.family.push({ childIndex: i, childId: String(childId), role: r.role, address, memberId: String(memberId), ...(parentUserId ? { parentUserId } : {}) });
        }
        if (opts.notePeriod) {
          notes.push({
            _id: new Types.ObjectId(), orgId, childId, teacherId: teacher.id, period: opts.notePeriod, status: 'submitted', source: 'api', submittedAt: at, recording: 'due',
            study: `${name}这个月数学进步明显，单元测验考了${80 + (i % 20)}分。`, life: '在学校吃得好，按时睡觉。', mood: '开朗，和同学相处融洽。',
            health: '身体健康。', text: '很想念爸爸妈妈，周末请记得打电话。', replies: [], ...stamp,
          });
        }
      }
    }
  }

  await insertAll(School, schools, batch);
  await insertAll(Classroom, classes, batch);
  await insertAll(Staff, staff, batch);
  await insertAll(Child, kids, batch);
  await insertAll(FamilyMember, members, batch);
  await insertAll(Identity, identities, batch);
  await insertAll(Pairing, pairings, batch);
  await insertAll(ProgressNote, notes, batch);
  county.ms = Date.now() - started;
  return county;
}
