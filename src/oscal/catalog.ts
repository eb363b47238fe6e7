// The control catalog (FGMV-46 7.4.4: evidence in a cross-sector standard): FGMV-46's clauses
// and the GDPR and CCPA/CPRA articles Verity helps a controller meet, each mapped to the automated
// checks (`checks.ts`) that assess it, as an OSCAL catalog (NIST OSCAL 1.0 JSON). The table is
// the one source: the catalog, the assessment results' reviewed controls and their findings are
// all generated from it.

/** One control of the catalog. */
export interface Control {
  /** An OSCAL token: a letter, then letters, digits, `.`, `-`, `_`. */
  readonly id: string;
  readonly title: string;
  /** What the control asks, in a sentence (the statement part). */
  readonly statement: string;
  /** The ids of the checks that assess it. */
  readonly checks: readonly string[];
}

/** A group of controls: one source document. */
export interface ControlGroup {
  readonly id: string;
  readonly title: string;
  readonly source: string;
  readonly controls: readonly Control[];
}

/** The catalog's groups and controls. */
export const CONTROL_GROUPS: readonly ControlGroup[] = [
  {
    id: 'fgmv46',
    title: 'ITU-T FG-MV TR FGMV-46: trusted data in the metaverse',
    source: 'ITU-T Focus Group on metaverse, Technical Report FGMV-46 (06/2024)',
    controls: [
      {
        id: 'fgmv46-6.2-integrity',
        title: '6.2 Accuracy and integrity of data',
        statement: 'Data and every change of it are recorded so that any alteration is detectable.',
        checks: ['log-integrity', 'state-map'],
      },
      {
        id: 'fgmv46-6.2-transparency',
        title: '6.2 Transparency and compliance',
        statement: 'What happened to data can be verified by independent parties, who all see the same history.',
        checks: ['log-integrity', 'witness-cosignatures'],
      },
      {
        id: 'fgmv46-6.2-lifecycle',
        title: '6.2 Data lifecycle',
        statement: 'Data is kept no longer than its retention period and erased or anonymized after it.',
        checks: ['retention'],
      },
      {
        id: 'fgmv46-7.1.1',
        title: '7.1.1 Encryption',
        statement: 'Data is encrypted at rest under keys that are rotated.',
        checks: ['key-rotation'],
      },
      {
        id: 'fgmv46-7.1.2',
        title: '7.1.2 Integrity and availability',
        statement: 'Tampering, rollback and forks of the record of data are detected.',
        checks: ['log-integrity', 'state-map', 'witness-cosignatures'],
      },
      {
        id: 'fgmv46-7.1.5',
        title: '7.1.5 Audit and transparency',
        statement: 'Every operation on data is in an audit trail whose entries can be proven.',
        checks: ['log-integrity'],
      },
      {
        id: 'fgmv46-7.4.1',
        title: '7.4.1 Privacy protection and consent',
        statement:
          'A privacy policy is in force and recorded; data-subject rights are answered within their deadlines.',
        checks: ['privacy-policy', 'rights-deadlines'],
      },
      {
        id: 'fgmv46-7.4.2',
        title: '7.4.2 Transparency and accountability',
        statement: 'Personal data breaches are recorded and notified within 72 hours.',
        checks: ['incident-notification'],
      },
      {
        id: 'fgmv46-7.4.3',
        title: '7.4.3 User participation and feedback',
        statement: 'Users can give feedback on and propose changes to data policies, and decide on them by vote.',
        checks: ['governance'],
      },
      {
        id: 'fgmv46-7.4.4',
        title: '7.4.4 Cross-sector standards',
        statement:
          'Evidence is kept and exchanged in open standards (RFC 9162 logs, C2SP checkpoints, W3C DPV, OSCAL).',
        checks: ['log-integrity', 'privacy-policy'],
      },
      {
        id: 'fgmv46-7.4.5',
        title: '7.4.5 Ecosystem governance',
        statement:
          'Policy changes are decided by the stakeholders under a published governance document, with results published with proofs and a timelock before they take effect.',
        checks: ['governance'],
      },
    ],
  },
  {
    id: 'gdpr',
    title: 'Regulation (EU) 2016/679 (GDPR)',
    source: 'Regulation (EU) 2016/679 of the European Parliament and of the Council, OJ L 119, 4.5.2016',
    controls: [
      {
        id: 'gdpr-art5-1-e',
        title: 'Art. 5(1)(e) Storage limitation',
        statement: 'Personal data is kept no longer than necessary for its purposes.',
        checks: ['retention'],
      },
      {
        id: 'gdpr-art5-1-f',
        title: 'Art. 5(1)(f) Integrity and confidentiality',
        statement: 'Personal data is protected against unauthorised processing, loss and alteration.',
        checks: ['log-integrity', 'state-map', 'key-rotation'],
      },
      {
        id: 'gdpr-art5-2',
        title: 'Art. 5(2) Accountability',
        statement: 'The controller can demonstrate compliance.',
        checks: ['log-integrity', 'witness-cosignatures'],
      },
      {
        id: 'gdpr-art12-3',
        title: 'Art. 12(3) Time limits for data-subject requests',
        statement: 'Requests under Articles 15 to 22 are answered within one month, extended at most by two.',
        checks: ['rights-deadlines'],
      },
      {
        id: 'gdpr-art13',
        title: 'Art. 13 Information to be provided',
        statement: 'Purposes, legal bases, recipients and retention are stated in a policy in force.',
        checks: ['privacy-policy'],
      },
      {
        id: 'gdpr-art32',
        title: 'Art. 32 Security of processing',
        statement: 'Encryption, integrity and resilience appropriate to the risk.',
        checks: ['key-rotation', 'log-integrity'],
      },
      {
        id: 'gdpr-art33',
        title: 'Art. 33 Notification of a breach to the supervisory authority',
        statement: 'Within 72 hours of becoming aware, or with reasons for the delay.',
        checks: ['incident-notification'],
      },
      {
        id: 'gdpr-art34',
        title: 'Art. 34 Communication of a breach to the data subject',
        statement: 'Subjects are told of a breach likely to result in a high risk to them.',
        checks: ['incident-notification'],
      },
    ],
  },
  {
    id: 'ccpa',
    title: 'California Consumer Privacy Act as amended by the CPRA',
    source: 'California Civil Code 1798.100 et seq.; California Code of Regulations, title 11, 7000 et seq.',
    controls: [
      {
        id: 'ccpa-1798.100',
        title: '1798.100 Notice at collection',
        statement: 'Categories, purposes and retention are disclosed.',
        checks: ['privacy-policy'],
      },
      {
        id: 'ccpa-1798.130',
        title: '1798.130 Responding to requests within 45 days',
        statement: 'Verifiable consumer requests are answered within 45 days, extended once by 45.',
        checks: ['rights-deadlines'],
      },
      {
        id: 'ccpa-1798.150',
        title: '1798.150 Reasonable security',
        statement: 'Reasonable security procedures protect personal information.',
        checks: ['key-rotation', 'log-integrity'],
      },
    ],
  },
];

/** Every control, in catalog order. */
export function controls(): Control[] {
  return CONTROL_GROUPS.flatMap((g) => g.controls);
}

/** The OSCAL version the documents are written against (the schemas checked in under test/fixtures/oscal). */
export const OSCAL_VERSION = '1.0.6';
/** The namespace of Verity's own property names. */
export const VERITY_NS = 'https://verity.dev/ns/oscal';
/** The catalog's stable UUID (version 5 form), so assessment results can name it. */
export const CATALOG_UUID = '2f1c8a63-5b7e-5c1a-9d3e-7a4b6c8d9e01';

/** The catalog as an OSCAL catalog document (`{"catalog": ...}`). */
export function oscalCatalog(lastModified: string): Record<string, unknown> {
  return {
    catalog: {
      uuid: CATALOG_UUID,
      metadata: {
        title: "Verity's control catalog: FGMV-46, GDPR and CCPA/CPRA mapped to automated checks",
        'last-modified': lastModified,
        version: '1',
        'oscal-version': OSCAL_VERSION,
      },
      groups: CONTROL_GROUPS.map((g) => ({
        id: g.id,
        title: g.title,
        props: [{ name: 'source', ns: VERITY_NS, value: g.source }],
        controls: g.controls.map((c) => ({
          id: c.id,
          title: c.title,
          props: c.checks.map((k) => ({ name: 'verity-check', ns: VERITY_NS, value: k })),
          parts: [{ id: `${c.id}_smt`, name: 'statement', prose: c.statement }],
        })),
      })),
    },
  };
}
