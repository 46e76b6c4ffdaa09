// PreCreateCheck for the opt-in features beyond the Go drivers — capacity fallback, spread placement per pool,
// existing primary IPs and volumes — around the ordinary planner, so the driver gains one call instead of four.
import type { HcloudClient } from '../hcloud';
import { type Attachments, NO_ATTACHMENTS, planAttachments } from './attachments';
import { type Candidate, planWithFallback } from './fallback';
import { FLAG, type FlagSettings } from './flags';
import { checkSpreadSettings } from './placement';
import type { CreatePlan } from './plan';
import type { Problem } from './validate';

export interface PlanExtras {
  /** The pairs Create tries, in order; the first is the plan's own. */
  candidates: Candidate[];
  attachments: Attachments;
}

export async function planExtras(input: {
  settings: FlagSettings;
  machineName: string;
  client: () => HcloudClient;
}): Promise<{ plan: CreatePlan | null; problems: Problem[]; extras: PlanExtras }> {
  const s = input.settings;
  const problems: Problem[] = [...checkSpreadSettings(s)];
  let attachments = NO_ATTACHMENTS;
  if (s.apiToken && (s.primaryIpv4 || s.primaryIpv6 || s.volumes.length > 0)) {
    try {
      const r = await planAttachments(input.client(), s, input.machineName);
      attachments = r.attachments;
      problems.push(...r.problems);
    } catch (e) {
      // Never plan on without them: Create would make a server lacking the address or volume the user asked for.
      problems.push({
        severity: 'error',
        flag: s.volumes.length > 0 && !s.primaryIpv4 && !s.primaryIpv6 ? FLAG.volumes : FLAG.primaryIpv4,
        message: `looking up the primary IPs and volumes failed: ${(e as Error).message}`,
      });
    }
  }
  const r = await planWithFallback({ ...input, pinnedLocation: attachments.pinnedLocation });
  problems.push(...r.problems);
  const failed = problems.some((p) => p.severity === 'error');
  return {
    plan: failed ? null : r.plan,
    problems,
    extras: { candidates: failed ? [] : r.candidates, attachments },
  };
}
