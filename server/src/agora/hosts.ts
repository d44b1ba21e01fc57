/**
 * Which Agora host to try next when one cannot be reached (docs/agora.md, "Hosts, authentication and rate limits"):
 * the same primary again, then the other primary, then regional hosts of the primary's domain,
 * backing off between tries. A DNS failure may be local to one domain, so the other primary is
 * worth a try; any other network failure is not about the name, so that step is skipped.
 * @see https://docs.agora.io/en/cloud-recording/best-practices/integration-best-practices
 */

export type AgoraArea = 'na' | 'eu' | 'ap' | 'cn';

/** Two regional prefixes per area, the adjacent one second (docs/agora.md, "Hosts, authentication and rate limits"). */
const REGIONAL_PREFIXES: Record<AgoraArea, [string, string]> = {
  na: ['api-us-west-1', 'api-us-east-1'],
  eu: ['api-eu-west-1', 'api-eu-central-1'],
  ap: ['api-ap-southeast-1', 'api-ap-northeast-1'],
  cn: ['api-cn-east-1', 'api-cn-north-1'],
};

export const DEFAULT_PRIMARY = 'https://api.agora.io';
const OTHER_PRIMARY: Record<string, string> = {
  'https://api.agora.io': 'https://api.sd-rtn.com',
  'https://api.sd-rtn.com': 'https://api.agora.io',
};

export interface HostPlan {
  /** Hosts in the order to try; `otherPrimary` marks the step skipped after non-DNS failures. */
  steps: { baseUrl: string; otherPrimary: boolean }[];
}

/**
 * The fallback plan. With an explicit list (AGORA_API_URL, tests), that list is the plan: the
 * first host twice, then the rest.
 */
export function planHosts(options: { baseUrls?: string[]; primary?: string; area?: AgoraArea }): HostPlan {
  const trim = (url: string) => url.replace(/\/+$/, '');
  if (options.baseUrls && options.baseUrls.length > 0) {
    const [first, ...rest] = options.baseUrls.map(trim);
    return {
      steps: [first!, first!, ...rest].map((baseUrl) => ({ baseUrl, otherPrimary: false })),
    };
  }
  const primary = trim(options.primary ?? DEFAULT_PRIMARY);
  const other = OTHER_PRIMARY[primary];
  const domain = new URL(primary).hostname.replace(/^api\./, '');
  const [regional, adjacent] = REGIONAL_PREFIXES[options.area ?? 'na'];
  return {
    steps: [
      { baseUrl: primary, otherPrimary: false },
      { baseUrl: primary, otherPrimary: false },
      ...(other ? [{ baseUrl: other, otherPrimary: true }] : []),
      { baseUrl: `https://${regional}.${domain}`, otherPrimary: false },
      { baseUrl: `https://${adjacent}.${domain}`, otherPrimary: false },
    ],
  };
}

/** The next step after a network failure at `index`, or undefined when the plan is spent. */
export function nextHostStep(plan: HostPlan, index: number, dnsFailure: boolean): number | undefined {
  for (let next = index + 1; next < plan.steps.length; next++) {
    if (plan.steps[next]!.otherPrimary && !dnsFailure) continue;
    return next;
  }
  return undefined;
}
