/** Category and urgency of a concern from the keyword lists: the defaults on real phrasings, and changed lists. */
import { classifyConcern } from '../src/handlers/concernClassify';
import { scheduleSettings } from '../src/domain/settings';

const defaults = scheduleSettings(undefined).concerns;
const classify = (text: string, settings = defaults) => classifyConcern(text, settings);

describe('classifyConcern with the default lists', () => {
  it.each([
    ['孩子发烧了', 'health', false],
    ['孩子发高烧，一直说胡话', 'health', true],
    ['孩子咳嗽两天了', 'health', false],
    ['他最近不想上学', 'study', false],
    ['这次考试成绩不好', 'study', false],
    ['孩子找不到了', 'safety', true],
    ['孩子放学后失踪了', 'safety', true],
    ['在河边玩差点溺水', 'safety', true],
    ['在学校和同学打架', 'safety', true],
    ['被同学欺负了', 'safety', false],
    ['孩子说不想活了', 'mood', true],
    ['孩子晚上总是哭', 'mood', false],
    ['孩子想妈妈，很难过', 'mood', false],
    ['家里爸妈闹离婚', 'family', false],
    ['今天天气不错', 'other', false],
    ['', 'other', false],
  ] as const)('%s → %s, urgent %s', (text, category, urgent) => {
    expect(classify(text)).toEqual({ category, urgent });
  });

  it('safety wins over health, health over mood (the first category with a hit)', () => {
    expect(classify('摔伤了，还发烧').category).toBe('safety');
    expect(classify('发烧了，一直哭').category).toBe('health');
    expect(classify('一直哭，不想上学').category).toBe('mood');
  });

  it('a denied keyword does not count; a worried question does', () => {
    expect(classify('摔了一跤，没有受伤')).toEqual({ category: 'safety', urgent: false });
    expect(classify('孩子没受伤')).toEqual({ category: 'other', urgent: false });
    expect(classify('已经不发烧了')).toEqual({ category: 'other', urgent: false });
    expect(classify('不知道有没有受伤')).toEqual({ category: 'safety', urgent: true });
    expect(classify('是不是发高烧了')).toEqual({ category: 'health', urgent: true });
    // A later plain mention still counts, and keywords that begin with 不 are not read as denied.
    expect(classify('哥哥没受伤，弟弟受伤了').urgent).toBe(true);
    expect(classify('他说自己不想活了').urgent).toBe(true);
    expect(classify('孩子不见了').urgent).toBe(true);
  });
});

describe('classifyConcern with lists the school changed', () => {
  it('urgency follows the urgent list', () => {
    const s = { ...defaults, urgentKeywords: ['咳嗽', '没回家'] };
    expect(classify('孩子咳嗽好几天了', s)).toEqual({ category: 'health', urgent: true });
    expect(classify('孩子放学没回家', s)).toEqual({ category: 'safety', urgent: true });
    expect(classify('孩子找不到了', s)).toEqual({ category: 'safety', urgent: false });
  });

  it('categories follow the keyword lists, English words regardless of case', () => {
    const s = { ...defaults, keywords: { ...defaults.keywords, family: ['担心', 'Divorce'], health: ['fever'] }, urgentKeywords: ['HIGH FEVER'] };
    expect(classify('我很担心孩子', s).category).toBe('family');
    expect(classify('我很担心孩子').category).toBe('other');
    expect(classify('He has a high fever', s)).toEqual({ category: 'health', urgent: true });
    expect(classify('parents in a DIVORCE', s).category).toBe('family');
  });
});
