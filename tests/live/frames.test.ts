import * as ws from 'ws';

// ws exports its frame parser, though its type declarations leave it out.
type ReceiverType = new (options: { isServer: boolean }) => NodeJS.WritableStream & NodeJS.EventEmitter;
const { Receiver } = ws as unknown as { Receiver: ReceiverType };
import { textFrame } from '../../src/live/engine.js';

/** Decodes server frames the way a client does, with ws's own parser. */
function decode(frames: Buffer[]): Promise<string[]> {
  const receiver = new Receiver({ isServer: false });
  const messages: string[] = [];
  return new Promise((resolve, reject) => {
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) reject(new Error('a binary frame'));
      messages.push(data.toString('utf8'));
      if (messages.length === frames.length) resolve(messages);
    });
    receiver.on('error', reject);
    for (const frame of frames) receiver.write(frame);
  });
}

describe('textFrame', () => {
  test('frames every length class (7-bit, 16-bit, 64-bit) and counts bytes, not characters', async () => {
    const texts = ['', 'x'.repeat(125), 'x'.repeat(126), 'x'.repeat(65_535), 'x'.repeat(65_536), `{"title":"${'大'.repeat(30_000)}"}`];
    const frames = texts.map(textFrame);
    expect(frames.map((f) => f[1])).toEqual([0, 125, 126, 126, 127, 127]);
    expect(await decode(frames)).toEqual(texts);
  });
});
