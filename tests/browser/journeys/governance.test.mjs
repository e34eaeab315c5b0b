// A resident signs in by SMS code on a phone-sized screen, raises a request, and finds it on the
// community's public board (no sign-in needed there, name masked).
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

/** The code the built-in sender wrote to the development inbox, read by the city administrator. */
async function codeFor(phone) {
  const ctx = await browser.newContext();
  const admin = await ctx.newPage();
  await admin.goto(server.base + "/sign-in");
  await admin.getByLabel("用户名").fill("admin");
  await admin.getByLabel("密码").fill("Minzheng-2026");
  await admin.getByRole("button", { name: "登录" }).click();
  await admin.getByRole("heading", { name: "我的账户" }).waitFor();
  await admin.goto(server.base + "/dev/inbox");
  const row = admin.locator("tbody tr").filter({ hasText: phone }).first();
  const text = await row.innerText();
  await ctx.close();
  const m = text.match(/验证码为 (\d{6})/);
  assert.ok(m, `no code for ${phone} in: ${text}`);
  return m[1];
}

for (const [i, screen] of SCREENS.entries()) {
  test(`a resident raises a request and finds it on the public board (${screen.width}px)`, async () => {
    const ctx = await browser.newContext({ viewport: { width: screen.width, height: screen.height } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const phone = `1390000${String(1000 + i)}`;

    await page.goto(server.base + "/citizen/sign-in");
    await page.getByLabel("手机号码").fill(phone);
    await page.getByRole("button", { name: "获取验证码" }).click();
    await page.getByLabel("短信验证码").waitFor();
    await page.getByLabel("短信验证码").fill(await codeFor(phone));
    await page.getByRole("button", { name: "登录" }).click();
    await page.waitForURL(/\/citizen/);

    await page.goto(server.base + "/governance");
    await page.getByRole("link", { name: "提出诉求" }).click();
    await page.getByRole("heading", { name: "提出诉求" }).waitFor();
    await page.getByLabel("村（社区）代码").fill("500103001003");
    await page.getByLabel("您的姓名").fill("孙小红");
    await page.getByLabel("诉求类别").selectOption({ label: "设施维修" });
    const text = `7号楼电梯按钮失灵 ${screen.name}`;
    await page.getByLabel("诉求内容").fill(text);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `form is ${overflow}px wider than the screen`);
    await page.getByRole("button", { name: "提交诉求" }).click();
    await page.getByRole("heading", { name: /诉求 \d+：收单/ }).waitFor();
    await page.screenshot({ path: join(shotsDir, `governance-request-${screen.name}.png`), fullPage: true });

    // The board, as anyone sees it: a fresh context without the session.
    const anon = await browser.newContext({ viewport: { width: screen.width, height: screen.height } });
    const board = await anon.newPage();
    await board.goto(server.base + "/governance/board");
    await board.getByLabel("村（社区）代码").fill("500103001003");
    await board.getByRole("button", { name: "查看公示栏" }).click();
    await board.getByRole("heading", { name: /华一坡社区.*公示栏/ }).waitFor();
    const row = board.locator("tbody tr").filter({ hasText: text });
    await row.waitFor();
    assert.ok((await row.innerText()).includes("孙*红"), "name masked");
    assert.equal(await board.getByText("孙小红").count(), 0, "full name never shown");
    const boardOverflow = await board.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(boardOverflow <= 0, `board is ${boardOverflow}px wider than the screen`);
    await board.screenshot({ path: join(shotsDir, `governance-board-${screen.name}.png`), fullPage: true });
    await anon.close();
    await ctx.close();
    assert.deepEqual(errors, []);
  });
}
