// First journey: the home page, then the sign-in page, on a phone and on a desktop.
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
  test(`home page to sign-in page on a ${screen.width}-px screen`, async () => {
    const page = await browser.newPage({ viewport: { width: screen.width, height: screen.height } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

    const res = await page.goto(server.base + "/");
    assert.equal(res.status(), 200);
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    await page.getByRole("heading", { level: 1, name: "民政综合服务平台" }).waitFor();
    for (const name of ["社会救助", "婚姻登记", "基层治理", "区划地名"]) {
      assert.ok(await page.getByRole("link", { name }).first().isVisible(), `${name} link visible`);
    }
    // Nothing may overflow the phone's width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shotsDir, `home-${screen.name}.png`), fullPage: true });

    await page.getByRole("link", { name: "工作人员登录" }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole("heading", { name: "工作人员登录" }).waitFor();
    assert.ok(await page.getByLabel("用户名").isVisible());
    assert.ok(await page.getByLabel("密码").isVisible());
    await page.screenshot({ path: join(shotsDir, `sign-in-${screen.name}.png`), fullPage: true });
    assert.deepEqual(errors, [], "no script errors (CSP included)");
    await page.close();
  });
}
