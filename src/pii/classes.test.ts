// Classes of errors in names and places found on the tuning half of the evaluation corpus
// (docs/pii-corpus.md, D140-D143), each checked on sentences written for this test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scan } from './index.ts';

const found = (text: string) =>
  scan(text)
    .filter((f) => f.type === 'PERSON' || f.type === 'LOCATION')
    .map((f) => [f.type, text.slice(f.start, f.end)]);

describe('PII names and places by class', () => {
  it('reports a street address as one place, from the street or house number to the city (D140)', () => {
    assert.deepEqual(found('Ship it to 42 Willow Bank Road, Suite 7, Halifax please'), [
      ['LOCATION', '42 Willow Bank Road, Suite 7, Halifax'],
    ]);
    assert.deepEqual(found('Envoyez-le au 7 boulevard des Capucines, 75009 Paris.'), [
      ['LOCATION', '7 boulevard des Capucines, 75009 Paris'],
    ]);
    assert.deepEqual(found('Morada: Rua do Sol, 88, Porto'), [['LOCATION', 'Rua do Sol, 88, Porto']]);
    assert.deepEqual(found('Meine Adresse ist Birkenweg 4, 80331 München.'), [
      ['LOCATION', 'Birkenweg 4, 80331 München'],
    ]);
    assert.deepEqual(found('Mi dirección es Calle Mayor 15, 28013 Madrid.'), [
      ['LOCATION', 'Calle Mayor 15, 28013 Madrid'],
    ]);
    // A direction after the street's type stays inside (Main Street W).
    assert.deepEqual(found('we live at 12 Harbour Street W, Eastwick now'), [
      ['LOCATION', '12 Harbour Street W, Eastwick'],
    ]);
  });

  it('joins a middle initial that is also a word of chat (U., I., O.) into the name', () => {
    assert.deepEqual(found('Client Delphine O. Ravensworth wants a callback.'), [
      ['PERSON', 'Delphine O. Ravensworth'],
    ]);
    assert.deepEqual(found('Note from Agnieszka U. Holmgren about the invoice.'), [
      ['PERSON', 'Agnieszka U. Holmgren'],
    ]);
  });

  it('reads someone in a team, or handed work, as a person, not a place (D142)', () => {
    assert.deepEqual(found('Forwarded from Bartholomew in accounts: the customer wants a refund.'), [
      ['PERSON', 'Bartholomew'],
    ]);
    assert.deepEqual(found('Forwarded from Savannah in payments: please check'), [['PERSON', 'Savannah']]);
    assert.deepEqual(found('Escalated to Dunwoody Harker in billing today'), [['PERSON', 'Dunwoody Harker']]);
    // A place stays a place.
    assert.deepEqual(found('we moved from Lyon in june'), [['LOCATION', 'Lyon']]);
  });

  it('finds both people of a pair followed by what people do, in lower case too', () => {
    assert.deepEqual(found('anneliese und gottfried sind schon online'), [
      ['PERSON', 'anneliese'],
      ['PERSON', 'gottfried'],
    ]);
    assert.deepEqual(found('Ilse and Tobias carrid us last night'), [
      ['PERSON', 'Ilse'],
      ['PERSON', 'Tobias'],
    ]);
  });

  it('drops a title of two plain words, one of which some people are named (Thunder and Stone fan)', () => {
    assert.deepEqual(found('Thunder and Stone fan, Diamond main.'), []);
    // Two given names are two people.
    assert.deepEqual(found('Anna and Peter fan club'), [
      ['PERSON', 'Anna'],
      ['PERSON', 'Peter'],
    ]);
  });

  it('drops a game item named after a place (D143)', () => {
    assert.deepEqual(found('the Costa Rica drops from the dragon'), []);
    assert.deepEqual(found('crafted the Costa Rica yesterday'), []);
    assert.deepEqual(found('we flew to the Philippines in may'), [['LOCATION', 'Philippines']]);
  });
});
