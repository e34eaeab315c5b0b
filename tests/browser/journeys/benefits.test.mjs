// A district administrator opens last month's payroll of the district: the cycle released to the
// banks, its control totals and bank files; another district's administrator approves its cycle.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, launchBrowser, SCREENS, shotsDir } from "../harness.mjs";

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Last month in China time, as YYYY-MM (the demo computes it). */
function lastMonth() {
  const now = new Date(Date.now() + 8 * 3600 * 1000);
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

async function signIn(page, username) {
  await page.goto(server.base + "/sign-in");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill("Minzheng-2026");
  await page.getByRole("button", { name: "登录" }).click();
  await page.getByRole("heading", { name: "我的账户" }).waitFor();
}

for (const screen of SCREENS) {
  test(`last month's payroll, its bank files and a district's approval (${screen.width}px)`, async () => {
    const page = await browser.newPage({ viewport: { width: screen.width, height: screen.height } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const month = lastMonth();

    await signIn(page, "yuzhong-admin");
    await page.goto(server.base + "/benefits?month=" + month);
    await page.getByRole("heading", { name: `${month} 发放名册` }).waitFor();
    await page.getByRole("link", { name: "渝中区（500103）" }).click();
    await page.getByRole("heading", { name: `${month} 月 渝中区（500103）发放名册` }).waitFor();
    assert.equal(await page.locator("#cycle-status").textContent(), "已生成代发文件");
    assert.ok((await page.locator("#totals tbody tr").count()) > 0, "control totals are listed");
    assert.equal(await page.locator("#check-error").count(), 0, "the totals agree");
    assert.ok((await page.locator("#bank-files tbody tr").count()) > 0, "bank files are listed");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shotsDir, `benefits-cycle-${screen.name}.png`), fullPage: true });
    await page.getByRole("button", { name: "退出" }).click();

    await signIn(page, "shapingba-admin");
    await page.goto(server.base + "/benefits?month=" + month);
    await page.getByRole("link", { name: "沙坪坝区（500106）" }).click();
    const approve = page.getByRole("button", { name: "区县审核通过" });
    if (await approve.count()) {
      await approve.click();
      await page.getByRole("status").filter({ hasText: "审核通过" }).waitFor();
    }
    assert.equal(await page.locator("#cycle-status").textContent(), "区县已审核");
    assert.equal(await page.getByRole("link", { name: "渝中区（500103）" }).count(), 0, "another district is invisible");
    assert.deepEqual(errors, []);
    await page.close();
  });
}
