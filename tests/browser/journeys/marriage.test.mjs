// A couple books a marriage registration slot on a phone-sized screen (and on a desktop); the
// registrar of 渝中区 sees them on the day list. The citizen signs in by SMS code, read from the
// development inbox by the city administrator, and binds their ID number first.
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

// A valid 18-digit ID number (GB 11643 check character).
function idNumber(region, birth, seq) {
  const first17 = `${region}${birth}${String(seq).padStart(3, "0")}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return first17 + "10X98765432"[sum % 11];
}

async function signInAs(page, username) {
  await page.goto(server.base + "/sign-in");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill("Minzheng-2026");
  await page.getByRole("button", { name: "登录" }).click();
  await page.getByRole("heading", { name: "我的账户" }).waitFor();
}

SCREENS.forEach((screen, n) => {
  test(`a couple books a slot and the registrar sees it (${screen.width}px)`, async () => {
    const phone = `1390000${String(7100 + n)}`;
    const him = idNumber("500103", "19900101", 101 + 2 * n);
    const her = idNumber("500106", "19920202", 202 + 2 * n);
    const [hisName, herName] = n === 0 ? ["周建国", "吴晓梅"] : ["郑志强", "冯丽华"];

    const adminCtx = await browser.newContext();
    const admin = await adminCtx.newPage();
    await signInAs(admin, "admin");

    const ctx = await browser.newContext({ viewport: { width: screen.width, height: screen.height } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

    // Sign in by SMS code.
    await page.goto(server.base + "/citizen/sign-in");
    await page.getByLabel("手机号码").fill(phone);
    await page.getByRole("button", { name: "获取验证码" }).click();
    await page.getByLabel("短信验证码").waitFor();
    await admin.goto(server.base + "/dev/inbox");
    const row = await admin.locator("tbody tr", { hasText: phone }).first().innerText();
    const code = row.match(/验证码为 (\d{6})/)[1];
    await page.getByLabel("短信验证码").fill(code);
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByRole("heading", { name: "我的事项" }).waitFor();
    await page.getByLabel("姓名").fill(hisName);
    await page.getByLabel("身份证号码").fill(him);
    await page.getByRole("button", { name: "绑定" }).click();
    await page.getByRole("heading", { name: "我的事项" }).waitFor();

    // Choose office, day and slot.
    await page.goto(server.base + "/marriage");
    await page.getByRole("link", { name: "预约登记" }).click();
    await page.getByRole("heading", { name: "预约婚姻登记" }).waitFor();
    await page.getByLabel("登记处").selectOption({ label: "渝中区婚姻登记处" });
    await page.getByRole("button", { name: "查看时段" }).click();
    const dayOption = page.locator('select[name="day"] option').nth(1);
    const day = await dayOption.getAttribute("value");
    await page.locator('select[name="day"]').selectOption(day);
    await page.getByRole("button", { name: "查看时段" }).click();
    await page.getByRole("heading", { name: `${day} 可预约时段` }).waitFor();
    const slot = page.locator('input[name="slot_id"]:not([disabled])').nth(n);
    await slot.check();
    await page.locator('input[name="party1_name"]').fill(hisName);
    await page.locator('input[name="party1_id_number"]').fill(him);
    await page.locator('select[name="party1_hukou"]').selectOption("500103");
    await page.locator('input[name="party2_name"]').fill(herName);
    await page.locator('input[name="party2_id_number"]').fill(her);
    await page.locator('select[name="party2_hukou"]').selectOption("500106");
    await page.getByRole("button", { name: "提交预约" }).click();
    await page.getByRole("status").filter({ hasText: "预约成功" }).waitFor();
    assert.ok(await page.getByText("渝中区婚姻登记处").isVisible());
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shotsDir, `marriage-booked-${screen.name}.png`), fullPage: true });

    // The confirmation went to the outbox.
    await admin.goto(server.base + "/dev/inbox");
    assert.ok(await admin.locator("tbody tr", { hasText: "婚姻登记预约成功" }).filter({ hasText: phone }).count() >= 1);

    // The registrar of 渝中区 sees the couple on that day's list.
    const deskCtx = await browser.newContext({ viewport: { width: screen.width, height: screen.height } });
    const desk = await deskCtx.newPage();
    await signInAs(desk, "yuzhong-registrar");
    await desk.goto(`${server.base}/marriage/desk?day=${day}`);
    await desk.getByRole("heading", { name: /预约名单/ }).waitFor();
    assert.ok(await desk.getByText(hisName).first().isVisible());
    assert.ok(await desk.getByText(herName).first().isVisible());
    await desk.screenshot({ path: join(shotsDir, `marriage-desk-${screen.name}.png`), fullPage: true });

    assert.deepEqual(errors, []);
    await ctx.close();
    await adminCtx.close();
    await deskCtx.close();
  });
});
