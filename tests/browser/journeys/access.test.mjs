// A staff member signs in, opens account management, and signs out; a wrong password is told plainly.
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

for (const screen of SCREENS) {
  test(`sign in, see the accounts of the district, sign out (${screen.width}px)`, async () => {
    const page = await browser.newPage({ viewport: { width: screen.width, height: screen.height } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

    await page.goto(server.base + "/sign-in");
    await page.getByLabel("用户名").fill("yuzhong-admin");
    await page.getByLabel("密码").fill("wrong-password");
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByRole("alert").filter({ hasText: "用户名或密码错误" }).waitFor();

    await page.getByLabel("密码").fill("Minzheng-2026");
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByRole("heading", { name: "我的账户" }).waitFor();
    assert.ok(await page.getByText("渝中区管理员（区县管理员）").isVisible());

    await page.getByRole("link", { name: "账户管理" }).click();
    await page.getByRole("heading", { name: "账户管理" }).waitFor();
    assert.ok(await page.getByText("您辖区内共有 6 个工作人员账户").isVisible());
    const rows = await page.locator("tbody tr").count();
    assert.equal(rows, 6);
    assert.equal(await page.getByRole("link", { name: "shapingba-street" }).count(), 0, "another district is invisible");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shotsDir, `accounts-${screen.name}.png`), fullPage: true });

    await page.getByRole("button", { name: "退出" }).click();
    await page.getByRole("heading", { level: 1, name: "民政综合服务平台" }).waitFor();
    await page.goto(server.base + "/admin/accounts");
    await page.waitForURL(/\/sign-in\?next=/);
    assert.deepEqual(errors, []);
    await page.close();
  });
}
