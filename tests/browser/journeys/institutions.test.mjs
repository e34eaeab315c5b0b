// At the gate of 渝中区社会福利院: the gate officer logs a family's delivery, disinfects it, tells the
// residential area, and the area collects it; collecting before disinfection is refused plainly.
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
  test(`the gate logs a delivery, disinfects it, the area collects it (${screen.width}px)`, async () => {
    const page = await browser.newPage({ viewport: { width: screen.width, height: screen.height } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const items = `纯牛奶一箱、香蕉两斤（${screen.name}）`;

    await page.goto(server.base + "/sign-in");
    await page.getByLabel("用户名").fill("yuzhong-institution");
    await page.getByLabel("密码").fill("Minzheng-2026");
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByRole("heading", { name: "我的账户" }).waitFor();

    await page.goto(server.base + "/institutions");
    await page.getByRole("heading", { level: 1, name: "养老服务机构" }).waitFor();
    await page.getByRole("link", { name: /门岗登记/ }).click();
    await page.getByRole("heading", { level: 1, name: /门岗登记/ }).waitFor();

    await page.getByLabel("送件人", { exact: true }).fill("王小明");
    await page.getByLabel("送件人电话").fill("13812345678");
    await page.getByLabel("物品", { exact: true }).fill(items);
    await page.getByRole("button", { name: "登记", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "请消毒" }).waitFor();

    let card = page.locator("article.delivery", { hasText: items });
    assert.equal(await card.locator(".status").innerText(), "已登记待消毒");
    assert.equal(await card.getByRole("button", { name: "居住区领取" }).count(), 0, "no collection before disinfection");
    await page.screenshot({ path: join(shotsDir, `institutions-gate-logged-${screen.name}.png`), fullPage: true });

    await card.getByLabel("消毒方式").fill("75%酒精擦拭外包装，静置30分钟");
    await card.getByRole("button", { name: "登记消毒" }).click();
    await page.getByRole("status").filter({ hasText: "已消毒" }).waitFor();
    card = page.locator("article.delivery", { hasText: items });
    assert.equal(await card.locator(".status").innerText(), "已消毒待通知");

    await card.getByRole("button", { name: /^通知.*领取$/ }).click();
    await page.getByRole("status").filter({ hasText: "已通知居住区领取" }).waitFor();
    card = page.locator("article.delivery", { hasText: items });
    assert.equal(await card.locator(".status").innerText(), "已通知待领取");

    await card.getByLabel("领取人").fill("一号楼护理员吴护理");
    await card.getByRole("button", { name: "居住区领取" }).click();
    await page.getByRole("status").filter({ hasText: "已领取" }).waitFor();
    assert.equal(await page.locator("article.delivery", { hasText: items }).count(), 0, "no longer open");
    assert.ok(await page.locator("table tr", { hasText: items }).first().isVisible(), "listed as collected");

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shotsDir, `institutions-gate-collected-${screen.name}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
}
