// Korean names as game chat writes them in Latin letters (D354): a family name and a given name of
// two syllables joined by a hyphen, in either order (Park Seo-yeon, Ji-hoon Park). The given name's
// shape is what tells: each half is a syllable of Korean romanization. Family names that are also
// English words or places (Park, Song, Moon, Ha) are then read as the person's, not as a park.
// Hand-written tables: no maintained JavaScript library lists romanized Korean syllables.

/** Syllables of Korean given names as romanized (Revised Romanization and the older spellings). */
const SYLLABLES = new Set(
  'a ae ah an bin bo bok bom bum byul byung chae chan chang cheol cheon chul chun da dae dam dan do dong doo eun gi gil gun gyu gyeong ha hae han hee hei heon ho hong hoon hun hwa hwan hwi hye hyo hyuk hyun hyung il in ja jae jang je jeong ji jin jo jong joo ju jun jung ki kang kwang kyu kyung mi min mo mok mun myung na nam ra rae ri rim rin ryong ryung sa sang se seo seok seon seong seul seung shik shin si sik so sol soo sook su suk sun sung ta tae won woo wook ya ye yeon yeong yi yong yoo yoon young yu yul yun'.split(
    ' ',
  ),
);

/** Korean family names as romanized, in their common spellings. */
export const KOREAN_SURNAMES: ReadonlySet<string> = new Set(
  'kim lee yi rhee park pak bak choi choe jung jeong chung kang cho jo yoon yun jang chang lim im han oh seo suh shin kwon hwang ahn an song yoo yu ryu hong jeon jun ko go moon mun yang son sohn bae baek paik heo huh nam noh roh ha kwak sung cha joo woo min na jin uhm um chae won chun bang gong'.split(
    ' ',
  ),
);

/** Whether `word` is a given name of two Korean syllables joined by a hyphen (Ji-hoon, Seo-yeon). */
export function koreanGivenName(word: string): boolean {
  const dash = word.indexOf('-');
  if (dash <= 0 || dash !== word.lastIndexOf('-')) return false;
  const a = word.slice(0, dash);
  const b = word.slice(dash + 1);
  // Capitalized first half, lower-case second (Ji-hoon), or all lower case (ji-hoon).
  if (!/^[A-Za-z][a-z]*$/.test(a) || !/^[a-z]+$/.test(b)) return false;
  // Two different syllables: a doubled one is chat's laughter or a word (ha-ha, so-so).
  const first = a.toLowerCase();
  return first !== b && SYLLABLES.has(first) && SYLLABLES.has(b);
}

/** Whether a span of two words is a Korean family name and a given name, in either order. */
export function koreanFullName(span: string): boolean {
  const words = span.split(' ');
  if (words.length !== 2) return false;
  const [x, y] = words as [string, string];
  return (
    (koreanGivenName(y) && KOREAN_SURNAMES.has(x.toLowerCase())) ||
    (koreanGivenName(x) && KOREAN_SURNAMES.has(y.toLowerCase()))
  );
}
