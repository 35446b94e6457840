/**
 * The vendor emulator in a process of its own, forked by bench/emulator-process.ts: started with the
 * options of the first message, then answering `reset`, `stats` and `close`.
 */
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator';

type Message = { kind: 'start'; options: EmulatorOptions } | { kind: 'reset' } | { kind: 'stats' } | { kind: 'close' };

let emulator: RunningEmulator | undefined;

process.on('message', (message: Message) => {
  const reply = (value: unknown) => process.send!(value);
  if (message.kind === 'start') {
    startEmulator(message.options).then(
      (started) => {
        emulator = started;
        reply({ url: started.url, port: started.port, options: started.options });
      },
      (error: unknown) => reply({ error: String(error) }),
    );
  } else if (message.kind === 'reset') {
    emulator!.reset();
    reply({});
  } else if (message.kind === 'stats') {
    reply(emulator!.stats());
  } else {
    void emulator?.close().then(() => process.exit(0));
  }
});
// Gone with the bench, however it ended.
process.on('disconnect', () => process.exit(0));
