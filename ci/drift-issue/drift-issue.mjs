#!/usr/bin/env node
// One GitHub issue per desired state for drift, kept in step with
// `headcount drift`: opened when drift appears, updated on later runs,
// closed when drift is gone; never a second one while one is open.
//
//   node drift-issue.mjs --state NAME --exit-code N [--report drift.md]
//
// --exit-code is headcount drift's: 0 no drift, 2 drift (the report is the
// issue's body), anything else a failure (credentials, network): the issue
// is left as it is and this script exits 1, so the run fails.
//
// Reads GITHUB_API_URL (default https://api.github.com), GITHUB_TOKEN
// (issues: write), GITHUB_REPOSITORY (owner/name); writes the run's summary
// to GITHUB_STEP_SUMMARY when set. Node 20 or later (global fetch); no
// dependencies.
import { appendFileSync, readFileSync, existsSync } from 'node:fs';

const LABEL = 'headcount-drift';
const BODY_LIMIT = 60000; // GitHub refuses issue bodies over 65,536 characters

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!name?.startsWith('--') || value === undefined) {
      throw new Error(`usage: drift-issue.mjs --state NAME --exit-code N [--report FILE] (at ${JSON.stringify(name)})`);
    }
    out[name.slice(2)] = value;
  }
  if (!out.state) throw new Error('--state NAME is required (the desired state the issue is about)');
  if (!/^[0-9]+$/.test(out['exit-code'] ?? '')) throw new Error('--exit-code N is required (headcount drift\'s exit code)');
  return out;
}

function env(name, fallback) {
  const value = process.env[name] || fallback;
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function summary(text) {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${text}\n`);
  console.log(text);
}

async function api(method, path, body) {
  const base = env('GITHUB_API_URL', 'https://api.github.com').replace(/\/$/, '');
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${env('GITHUB_TOKEN')}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'headcount-drift-issue',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    const text = (await response.text()).slice(0, 300);
    throw new Error(`GitHub API ${method} ${path}: HTTP ${response.status} ${text}`);
  }
  return response.status === 204 ? null : response.json();
}

/// The open issue of this desired state (the oldest, if ever more than one).
async function openIssue(repo, marker) {
  const found = [];
  for (let page = 1; page <= 50; page++) {
    const issues = await api('GET', `/repos/${repo}/issues?state=open&labels=${LABEL}&per_page=100&page=${page}`);
    if (!Array.isArray(issues)) throw new Error('GitHub API: the issue list is not a list');
    found.push(...issues.filter((i) => !i.pull_request && typeof i.body === 'string' && i.body.includes(marker)));
    if (issues.length < 100) break;
  }
  found.sort((a, b) => a.number - b.number);
  return found[0];
}

async function main() {
  const opts = args(process.argv.slice(2));
  const repo = env('GITHUB_REPOSITORY');
  const state = opts.state;
  const code = Number(opts['exit-code']);
  const marker = `<!-- headcount-drift: ${state} -->`;
  const server = process.env.GITHUB_SERVER_URL || 'https://github.com';
  const run = process.env.GITHUB_RUN_ID ? `${server}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID}` : '';
  const runLink = run ? ` ([run](${run}))` : '';

  if (code !== 0 && code !== 2) {
    summary(`## :x: headcount drift FAILED for \`${state}\` (exit ${code})\n\nThis is not drift: headcount could not check (credentials, network, the file). The drift issue, if any, is left as it is.${runLink}`);
    return 1;
  }
  const issue = await openIssue(repo, marker);
  if (code === 0) {
    if (issue) {
      await api('POST', `/repos/${repo}/issues/${issue.number}/comments`, {
        body: `No drift any more: the providers match \`${state}\`${runLink}. Closing.`,
      });
      await api('PATCH', `/repos/${repo}/issues/${issue.number}`, { state: 'closed', state_reason: 'completed' });
      summary(`## :white_check_mark: No drift in \`${state}\`\n\nClosed #${issue.number}.`);
    } else {
      summary(`## :white_check_mark: No drift in \`${state}\``);
    }
    return 0;
  }
  let report = opts.report && existsSync(opts.report) ? readFileSync(opts.report, 'utf8') : '';
  if (report.length > BODY_LIMIT) {
    report = `${report.slice(0, BODY_LIMIT)}\n\n… cut at ${BODY_LIMIT} characters; the whole report is in the run${runLink}.\n`;
  }
  const title = `headcount: drift in ${state}`;
  const body = `${marker}\n${report || '_(no report)_'}\n\n<sub>Updated by the drift check${runLink}. Closed by it when the drift is gone: apply the file, or change the file to match.</sub>`;
  if (issue) {
    await api('PATCH', `/repos/${repo}/issues/${issue.number}`, { title, body });
    summary(`## :warning: Drift in \`${state}\` (exit 2)\n\nUpdated #${issue.number}.\n\n${report}`);
  } else {
    const created = await api('POST', `/repos/${repo}/issues`, { title, body, labels: [LABEL] });
    summary(`## :warning: Drift in \`${state}\` (exit 2)\n\nOpened #${created.number}.\n\n${report}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`::error title=headcount drift issue::${String(error.message).replace(/\r?\n/g, ' ')}`);
    process.exit(1);
  },
);
