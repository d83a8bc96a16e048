#!/usr/bin/env node
// Browser tests: headless Debian Chromium driven by playwright-core against a real devnet.
//   node tests/browser/run.mjs [--no-build]      (after `npx vite build`)
// Scenarios: deposit ETH and see it delivered on L2; the security page with live parameters and
// the exit-window colour; a withdrawal through its whole timeline with the L1 clock advanced,
// finalized from the page. Screenshots and logs go to web/test-output/ (git-ignored).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createPublicClient, formatEther, getAddress, http, parseEther } from 'viem';
import { OUTPUT, abi, devAccount, log, rpc, sleep, startDevnet, waitFor } from './harness.mjs';
import { installTestWallet } from './wallet.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const build = !process.argv.includes('--no-build');
// --only <text>: run the scenarios whose name contains <text> (the devnet still starts once).
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : null;
const figures = {};
let lastPage = null;
const results = [];

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: apt-get install -y chromium`);
  process.exit(1);
}

function fail(message) {
  throw new Error(message);
}

async function scenario(name, fn) {
  if (only && !name.includes(only)) return;
  const started = Date.now();
  log(`scenario: ${name}`);
  try {
    await fn();
    results.push({ name, ok: true, seconds: (Date.now() - started) / 1000 });
    log(`ok: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false, error: e.message });
    if (lastPage && !lastPage.isClosed()) {
      const file = `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}.png`;
      await lastPage.screenshot({ path: join(OUTPUT, file), fullPage: true }).catch(() => {});
      log(`screenshot of the failure: ${join(OUTPUT, file)}`);
      if (lastPage.consoleErrors?.length) log(`console errors: ${lastPage.consoleErrors.slice(-5).join(' | ')}`);
    }
    log(`FAILED: ${name}: ${e.stack ?? e.message}`);
  }
}

/** Every button, link, input and select has an accessible name (a label, text or aria-label). */
async function checkAccessibleNames(page, where) {
  const unnamed = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea')) {
      const name =
        el.getAttribute('aria-label') ||
        (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby'))?.textContent) ||
        (el.labels && [...el.labels].map((l) => l.textContent).join(' ')) ||
        (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent : '');
      if (!name || !name.trim()) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
  if (unnamed.length) fail(`${where}: controls without an accessible name: ${unnamed.join(' | ')}`);
}

async function shot(page, file) {
  const path = join(OUTPUT, file);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}

const env = await startDevnet({ build });
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    log(`${signal}: stopping the devnet`);
    env.stop().finally(() => process.exit(130));
  });
const { deployment } = env;
const L1 = deployment.l1.rpcUrl;
const L2 = deployment.l2.rpcUrl;
const l1 = createPublicClient({ transport: http(L1) });
const l2 = createPublicClient({ transport: http(L2) });
const L1Bridge = abi('L1Bridge');
const L2Bridge = abi('L2Bridge');
const OutputOracle = abi('OutputOracle');
const SecurityCouncil = abi('SecurityCouncil');
const BridgedToken = abi('BridgedToken');
const user = devAccount(4).address; // the devnet's first demo user
let browser;

async function newPage({ wallet = true, viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  if (wallet)
    await context.addInitScript(installTestWallet, {
      accounts: [user],
      chainId: deployment.l1.chainId,
      rpc: { [deployment.l1.chainId]: L1, [deployment.l2.chainId]: L2 },
    });
  const page = await context.newPage();
  lastPage = page;
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.consoleErrors = consoleErrors;
  return { context, page };
}

async function connect(page) {
  await page.getByRole('button', { name: 'Connect Drawbridge Test Wallet' }).click();
  await page.getByTestId('wallet-account').waitFor({ timeout: 15_000 });
}

const depositCard = (page) => page.locator('section', { has: page.getByRole('heading', { name: 'Deposit: L1 → L2' }) });
const withdrawCard = (page) => page.locator('section', { has: page.getByRole('heading', { name: 'Withdraw: L2 → L1' }) });

try {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  log(`chromium ${browser.version()}`);
  await scenario('deposit ETH and see it delivered on L2', async () => {
    const { context, page } = await newPage();
    await page.goto(env.url + '#/bridge');
    await connect(page);
    const card = depositCard(page);
    await card.getByLabel('Amount (ETH)').fill('1');
    await card.getByRole('button', { name: 'Deposit 1 ETH' }).click();
    await card.getByTestId('tx-done').waitFor({ timeout: 60_000 });
    const deposit = page.locator('[data-testid=transfer][data-kind=deposit]').first();
    await deposit.waitFor({ timeout: 30_000 });
    await shot(page, 'deposit-sent.png');
    await deposit.getByTestId('transfer-status').filter({ hasText: 'Delivered' }).waitFor({ timeout: 120_000 });
    const nonce = BigInt(await deposit.getAttribute('data-nonce'));
    const processed = await l2.readContract({ address: deployment.l2.l2Bridge, abi: L2Bridge, functionName: 'l1MessagesProcessed' });
    if (processed <= nonce) fail(`the page says delivered but L2 processed only ${processed} messages`);
    const l2Eth = await l2.readContract({ address: deployment.l2.l2Bridge, abi: L2Bridge, functionName: 'bridgedToken', args: ['0x0000000000000000000000000000000000000000'] });
    const balance = await l2.readContract({ address: l2Eth, abi: BridgedToken, functionName: 'balanceOf', args: [user] });
    if (balance !== parseEther('1')) fail(`L2 ETH balance is ${formatEther(balance)}, expected 1`);
    await withdrawCard(page).getByText('Balance on L2: 1 ETH').waitFor({ timeout: 15_000 });
    await checkAccessibleNames(page, 'bridge page');
    await shot(page, 'deposit-delivered.png');

    // Time from page open to the first transfer's status, against the devnet: a new tab of the
    // same profile (the wallet reconnects by itself), measured by the page's own performance mark.
    const t0 = Date.now();
    const tab = await context.newPage();
    await tab.goto(env.url + '#/bridge');
    await tab.getByTestId('transfer-status').first().waitFor({ timeout: 30_000 });
    const wall = Date.now() - t0;
    const mark = await tab.evaluate(() => performance.getEntriesByName('drawbridge:first-transfer-status')[0]?.startTime ?? null);
    figures.firstTransferStatusMs = mark === null ? null : Math.round(mark);
    figures.firstTransferStatusWallMs = wall;
    log(`time from page open to the first transfer status: ${figures.firstTransferStatusMs} ms (performance mark), ${wall} ms (test clock)`);
    if (page.consoleErrors.length) log(`console errors: ${page.consoleErrors.join(' | ')}`);

    // Switching accounts in the wallet clears what belonged to the previous account.
    const other = devAccount(5).address;
    await tab.evaluate((a) => window.__testWallet.switchAccount(a), other);
    await tab.getByRole('heading', { name: `Transfers of ${other.slice(0, 6)}…${other.slice(-4)}` }).waitFor({ timeout: 10_000 });
    await tab.getByText('No transfers yet for this address.').waitFor({ timeout: 15_000 });
    if ((await tab.getByTestId('transfer').count()) !== 0) fail('transfers of the previous account still shown after an account switch');
    await context.close();
  });

  await scenario('deposit an ERC-20: approval only when the allowance is short, then delivered', async () => {
    const { context, page } = await newPage();
    await page.goto(env.url + '#/bridge');
    await connect(page);
    const card = depositCard(page);
    const token = getAddress(deployment.l1.testToken);
    await card.getByLabel('Token').selectOption(token);
    const amount = card.getByLabel(/^Amount \(/);
    await amount.fill('250');
    await card.getByRole('button', { name: /^Approve / }).click();
    await card.getByTestId('tx-done').filter({ hasText: 'Approved' }).waitFor({ timeout: 60_000 });
    // The allowance now covers the amount: the button deposits, no second approval.
    const deposit = card.getByRole('button', { name: /^Deposit 250 / });
    await deposit.waitFor({ timeout: 15_000 });
    await deposit.click();
    await card.getByTestId('tx-done').filter({ hasText: 'Deposited 250' }).waitFor({ timeout: 60_000 });
    const item = page.locator('[data-testid=transfer][data-kind=deposit]').first();
    await item.getByTestId('transfer-status').filter({ hasText: 'Delivered' }).waitFor({ timeout: 120_000 });
    const escrow = await l1.readContract({ address: deployment.l1.l1Bridge, abi: L1Bridge, functionName: 'escrowed', args: [token] });
    if (escrow !== parseEther('250')) fail(`L1 escrow of the test token is ${formatEther(escrow)}, expected 250`);
    await shot(page, 'deposit-erc20-delivered.png');
    await context.close();
  });

  await scenario('security page: live parameters and the exit-window colour', async () => {
    const { context, page } = await newPage({ wallet: false });
    await page.goto(env.url + '#/security');
    await page.getByTestId('exit-window-value').waitFor({ timeout: 30_000 });
    const council = await l1.readContract({ address: deployment.l1.l1Bridge, abi: L1Bridge, functionName: 'governance' });
    const [upgradeDelay, challengePeriod, councilResponseWindow, forcedInclusionWindow] = (
      await Promise.all([
        l1.readContract({ address: council, abi: SecurityCouncil, functionName: 'upgradeDelay' }),
        l1.readContract({ address: deployment.l1.outputOracle, abi: OutputOracle, functionName: 'challengePeriod' }),
        l1.readContract({ address: deployment.l1.outputOracle, abi: OutputOracle, functionName: 'councilResponseWindow' }),
        l1.readContract({ address: deployment.l1.l1Bridge, abi: L1Bridge, functionName: 'forcedInclusionWindow' }),
      ])
    ).map(Number);
    const window = upgradeDelay - (challengePeriod + councilResponseWindow + forcedInclusionWindow);
    const expectedRisk = window < 7 * 86400 ? 'red' : window < 30 * 86400 ? 'yellow' : 'green';
    const risk = await page.getByTestId('exit-window').getAttribute('data-risk');
    if (risk !== expectedRisk) fail(`exit window colour ${risk}, expected ${expectedRisk} for ${window} s`);
    const shown = await page.getByTestId('exit-window-value').textContent();
    const fmt = (s) => (s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`);
    if (shown !== fmt(window)) fail(`exit window shows "${shown}", expected "${fmt(window)}"`);
    for (const [name, value] of [
      ['Challenge period', challengePeriod],
      ['Council response window', councilResponseWindow],
      ['Forced-inclusion window', forcedInclusionWindow],
      ['Upgrade delay', upgradeDelay],
    ]) {
      const cell = await page.locator(`td[data-param="${name}"]`).textContent();
      if (cell !== fmt(value)) fail(`${name} shows "${cell}", expected "${fmt(value)}" (read from the contract)`);
    }
    if ((await page.getByTestId('paused').textContent()) !== 'no') fail('the bridge shows as paused');
    if ((await page.getByTestId('frozen').textContent()) !== 'no') fail('the bridge shows as frozen');
    await page.getByTestId('last-output-age').filter({ hasText: 'ago' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('escrow').getByRole('row', { name: /ETH/ }).filter({ hasText: '1 ETH' }).first().waitFor({ timeout: 15_000 });
    await checkAccessibleNames(page, 'security page');
    log(`exit window ${shown}, colour ${risk}`);
    await shot(page, 'security.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) fail(`the security page scrolls sideways by ${overflow} px at phone width`);
    await shot(page, 'security-phone.png');
    await context.close();
  });

  await scenario('unreachable nodes: errors in words, not a spinner', async () => {
    const { context, page } = await newPage({ wallet: false });
    await page.goto(env.url + '?deployment=./unreachable-deployment.json#/security');
    // The security card and the chain status line both say which node is unreachable.
    const alert = page.getByRole('alert').filter({ hasText: `Could not read the bridge's contracts on L1 and L2: L1 node unreachable (${env.deadUrl})` });
    await alert.first().waitFor({ timeout: 30_000 });
    await page.getByRole('alert').filter({ hasText: `L2 node unreachable (${env.deadUrl2})` }).first().waitFor({ timeout: 30_000 });
    log(`shown: ${(await alert.first().textContent()).trim()}`);
    await shot(page, 'unreachable.png');
    await context.close();
  });

  await scenario('withdrawal: initiated -> output -> challenge window -> ready -> finalized from the page', async () => {
    const { context, page } = await newPage();
    await page.goto(env.url + '#/bridge');
    await connect(page);
    const card = withdrawCard(page);
    // The wallet is on L1: the form offers a one-click switch to L2.
    await card.getByRole('button', { name: /^Switch wallet to .* \(chain 901\)$/ }).click();
    // More than the balance: the revert is named, in words, before the wallet is asked.
    await card.getByLabel('Amount (ETH)').fill('5');
    await card.getByRole('button', { name: 'Withdraw 5 ETH' }).click();
    const error = await card.getByTestId('tx-error').textContent({ timeout: 30_000 });
    if (!/balance is too low.*ERC20InsufficientBalance/.test(error)) fail(`unexpected error text: ${error}`);
    log(`error shown: ${error}`);
    await card.getByLabel('Amount (ETH)').fill('0.25');
    await card.getByRole('button', { name: 'Withdraw 0.25 ETH' }).click();
    await card.getByTestId('tx-done').waitFor({ timeout: 60_000 });
    const item = page.locator('[data-testid=transfer][data-kind=withdrawal]').first();
    await item.waitFor({ timeout: 15_000 });
    const nonce = BigInt(await item.getAttribute('data-nonce'));
    await shot(page, 'withdrawal-initiated.png');

    // Covered by an output: as soon as the page shows it, stop L1's block production so that the
    // challenge window can only end by advancing the L1 clock.
    await item.locator('[data-stage=covered][data-state=done]').waitFor({ timeout: 120_000 });
    await rpc(L1, 'evm_setIntervalMining', [0]);
    const head = await l1.getBlock();
    const count = await l1.readContract({ address: deployment.l1.outputOracle, abi: OutputOracle, functionName: 'outputCount' });
    const output = await l1.readContract({ address: deployment.l1.outputOracle, abi: OutputOracle, functionName: 'getOutput', args: [count - 1n] });
    const challengePeriod = await l1.readContract({ address: deployment.l1.outputOracle, abi: OutputOracle, functionName: 'challengePeriod' });
    const windowEnd = output.proposedAt + challengePeriod;
    const open = head.timestamp < windowEnd;
    log(`output proposed at ${output.proposedAt}, window ends ${windowEnd}, L1 head at ${head.timestamp}: window ${open ? 'open' : 'already over'} when L1 stopped`);
    const countdown = item.getByTestId('countdown');
    if (open && (await countdown.count()) > 0) {
      figures.countdownSeen = (await countdown.textContent()).replace(/^[\s·]+/, '').trim();
      await shot(page, 'withdrawal-challenge-window.png');
    } else {
      figures.countdownSeen = null;
      log('the countdown had already ended in wall time (devnet challenge period is seconds); screenshot of the window skipped');
    }
    // With L1 stopped, the output cannot become final however long we wait.
    await sleep(Math.min(4000, Number(challengePeriod) * 1000));
    if (open && (await item.locator('[data-stage=ready][data-state=done]').count()) > 0) fail('ready before the L1 clock passed the window');

    // Advance the L1 clock past the window and mine.
    await rpc(L1, 'evm_increaseTime', [Number(challengePeriod)]);
    await rpc(L1, 'evm_mine', []);
    await rpc(L1, 'evm_setIntervalMining', [1]);
    await item.locator('[data-stage=ready][data-state=done]').waitFor({ timeout: 30_000 });
    await page.getByTestId('ready-banner').waitFor({ timeout: 10_000 });
    await shot(page, 'withdrawal-ready.png');

    // Finalize from the page: the wallet is on L2 now, so the page offers the switch first.
    await item.getByRole('button', { name: /^Switch wallet to .* \(chain 900\)$/ }).click();
    await item.getByRole('button', { name: `Finalize withdrawal ${nonce} on L1` }).click();
    await item.getByTestId('tx-done').waitFor({ timeout: 60_000 });
    await item.getByTestId('transfer-status').filter({ hasText: 'Finalized' }).waitFor({ timeout: 30_000 });
    const finalized = await l1.readContract({ address: deployment.l1.l1Bridge, abi: L1Bridge, functionName: 'isWithdrawalFinalized', args: [nonce] });
    if (!finalized) fail('the page says finalized but L1 does not');
    const events = await l1.getContractEvents({ address: deployment.l1.l1Bridge, abi: L1Bridge, eventName: 'WithdrawalFinalized', args: { nonce }, fromBlock: 0n });
    if (events.length !== 1 || events[0].args.amount !== parseEther('0.25') || events[0].args.recipient.toLowerCase() !== user.toLowerCase())
      fail(`unexpected WithdrawalFinalized events: ${JSON.stringify(events.map((e) => ({ ...e.args, amount: String(e.args.amount) })))}`);
    const sent = await page.evaluate(() => window.__testWallet.sent);
    if (sent.at(-1)?.to?.toLowerCase() !== deployment.l1.l1Bridge.toLowerCase()) fail('the finalization was not sent by the page');
    await checkAccessibleNames(page, 'bridge page with a withdrawal');
    await shot(page, 'withdrawal-finalized.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (overflow > 0) fail(`the bridge page scrolls sideways by ${overflow} px at phone width`);
    await shot(page, 'bridge-phone.png');
    await context.close();
  });
} finally {
  await browser?.close().catch(() => {});
  await env.stop();
}

writeFileSync(join(OUTPUT, 'figures.json'), JSON.stringify({ figures, results }, null, 2) + '\n');
const failed = results.filter((r) => !r.ok);
log(`${results.length - failed.length} of ${results.length} scenarios passed; figures: ${JSON.stringify(figures)}`);
process.exit(failed.length ? 1 : 0);
