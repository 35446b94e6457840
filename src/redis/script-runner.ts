import { isNoScriptError, type SendCommand } from './client.js';

/**
 * A Lua script and, once Redis has told us, its SHA1 (not computed here: no crypto outside Node). The SHA
 * depends only on the source, so one learned from any server is right for every server.
 */
export class Script {
  /** @internal */ sha: string | undefined;
  /** @internal */ loading: Promise<string> | undefined;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {}
}

/**
 * Runs scripts by EVALSHA: one round trip per call once the SHA is known. The first call of each script
 * asks for it with SCRIPT LOAD; a NOSCRIPT answer (Redis restarted or flushed its cache) is retried once
 * with EVAL, which also puts the script back in the cache for the next EVALSHA.
 */
export class ScriptRunner {
  constructor(private readonly send: SendCommand) {}

  run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    const evalsha = (sha: string) =>
      this.send(['EVALSHA', sha, ...tail]).catch((error: unknown) => {
        if (!isNoScriptError(error)) throw error;
        return this.send(['EVAL', script.source, ...tail]);
      });
    if (script.sha !== undefined) return evalsha(script.sha);
    return this.load(script).then(evalsha);
  }

  private load(script: Script): Promise<string> {
    script.loading ??= this.send(['SCRIPT', 'LOAD', script.source]).then(
      (sha) => (script.sha = String(sha)),
      (error: unknown) => {
        script.loading = undefined;
        throw error;
      },
    );
    return script.loading;
  }
}

