// Work and things handed to or from someone, and a company's team after a name (D142, D385): a
// place the last look (lastlook.ts) reads there is a person (forwarded from Jordan, Savannah in
// billing, sold it to Maria).
import { bare } from './lexicon.ts';
import { FLAGS, wordFlags } from './wordflags.ts';

/** Teams of a company in five languages: someone "in billing" is a person there, no place. */
const DEPARTMENT =
  /^ (?:in|from|at|of|im|in der|aus der|de|du|au|en|em|no|na|do|da|del) (?:the |der |la |le |el |o |a )?(?:billing|payments?|support|sales|accounts?|accounting|finance|shipping|logistics|legal|compliance|security|marketing|hr|engineering|returns|refunds|fraud|risk|operations|ops|onboarding|customer service|customer care|helpdesk|help desk|buchhaltung|vertrieb|kundendienst|kundenservice|versand|rechtsabteilung|zahlungen|facturation|comptabilité|paiements|service client|expédition|juridique|facturación|pagos|soporte|ventas|contabilidad|envíos|atención al cliente|cobrança|faturamento|pagamentos|suporte|vendas|financeiro|expedição|atendimento)(?![\p{L}])/iu;
/** The words HANDED's first form ends in (before the span's space): from, to, by and their kin. */
const HANDED_LAST_WORDS = ['from', 'to', 'by', 'von', 'an', 'à', 'par', 'por', 'a', 'para', 'de', 'pelo', 'pela'];
const HANDED_LAST = new Set(HANDED_LAST_WORDS);
/**
 * Work handed from or to someone: "forwarded from X", "passed this to X", "escalated to X"; and
 * things given, sold or said to someone (sent it to X, selling to X, say hi to X: D385).
 */
export const HANDED = new RegExp(
  `(?:^|[^\\p{L}])(?:forwarded|passed (?:this|it)(?: on)?|sen[dt](?: (?:it|this|that|them|one))?|g[ai]ve (?:it|this|that|them)|pass (?:it|this)|(?:say|said|says) hi|talk(?:ed|ing)?|sell(?:ing)?|sold(?: it| this| them)?|len[dt](?: it| this)?|show(?:ed)? (?:it|this|them)|escalated(?: this| it)?|handed (?:this|it)(?: over)?|transferred (?:this|it|you)|reassigned(?: this| it)?|weitergeleitet|übergeben|transféré|transmis|renvoyé|reenviado|remitido|transferido|encaminhado|repassado|ticket|message|e-?mail|mail|note|request|complaint|appeal|reply|dm|invite|report|nachricht|anfrage|beschwerde|demande|réclamation|mensaje|solicitud|mensagem|pedido) (?:${HANDED_LAST_WORDS.join('|')}) $|(?:^|\\n)(?:from|to|cc|von|an|de|para|à) ?: ?$`,
  'iu',
);

/**
 * What the text before `start` must end in for HANDED to match there: a colon (and a space), or one
 * of HANDED_LAST's words and a space. Read first, without a slice or a pattern: most spans are
 * preceded by neither, and HANDED tries each of 40 positions before it fails.
 */
export function handedLead(text: string, start: number): boolean {
  const last = start > 0 ? text.charCodeAt(start - 1) : -1;
  if (last === 58 || (last === 32 && start > 1 && text.charCodeAt(start - 2) === 58)) return true;
  if (last !== 32) return false;
  let s = start - 1;
  while (s > 0 && start - s <= 5 && text.charCodeAt(s - 1) !== 32) s--;
  return HANDED_LAST.has(text.slice(s, start - 1).toLowerCase());
}

/**
 * Whether a place is a person by what is said around it (D142): the words after put it in a
 * company's team (X in billing), or work or a message is handed to or from it (forwarded from X, a
 * complaint from X, a mail's From: X) and the span does not end in a place the dictionaries know.
 */
export function handedOver(text: string, start: number, end: number): boolean {
  if (DEPARTMENT.test(text.slice(end, end + 32))) return true;
  if (!handedLead(text, start) || !HANDED.test(text.slice(Math.max(0, start - 40), start))) return false;
  // A place ends in its town's or country's name (New York, Rio de Janeiro): such a span stays one.
  const words = text
    .slice(start, end)
    .split(/[ ,]+/)
    .filter((w) => w !== '');
  return (wordFlags(bare(words.at(-1) ?? '')) & FLAGS.PLACE) === 0;
}
