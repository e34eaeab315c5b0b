// A citizen applies for dibao on a phone-sized screen (and on a desktop), sees the status page
// with the timeline and the next deadline, and uploads a photo of a document; the street officer of 七星岗街道 accepts the
// application and the citizen's status page shows it. The citizen signs in by SMS code, read from
// the development inbox by the city administrator, and binds their ID number first.
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
  test(`a citizen applies for dibao and follows it on the status page (${screen.width}px)`, async () => {
    const phone = `1370000${String(8100 + n)}`;
    const me = idNumber("500103", "19880808", 991 + 2 * n);
    const child = idNumber("500103", "20150606", 992 + 2 * n);
    const [myName, childName] = n === 0 ? ["邓秀芳", "邓小雨"] : ["唐志明", "唐一鸣"];

    const adminCtx = await browser.newContext();
    const admin = await adminCtx.newPage();
    await signInAs(admin, "admin");

    const ctx = await browser.newContext({ viewport: { width: screen.width, height: screen.height } });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

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
    await page.getByLabel("姓名").fill(myName);
    await page.getByLabel("身份证号码").fill(me);
    await page.getByRole("button", { name: "绑定" }).click();
    await page.getByRole("heading", { name: "我的事项" }).waitFor();

    // The application form on the phone.
    await page.goto(server.base + "/assistance/apply");
    await page.getByRole("heading", { name: "网上申请社会救助" }).waitFor();
    await page.getByLabel("申请项目").selectOption("dibao");
    await page.getByLabel("户籍所在社区（村）代码（12 位）").fill("500103001003");
    await page.getByLabel("家庭住址").fill("渝中区七星岗街道华一坡 21 号 4-2");
    await page.getByLabel("成员1 姓名").fill(childName);
    await page.getByLabel("成员1 身份证号码").fill(child);
    await page.getByLabel("成员1 关系").selectOption("child");
    await page.getByLabel("申请理由").fill("单亲家庭，本人失业，孩子年幼，收入不足以维持基本生活");
    for (const doc of ["申请书", "户口簿复印件", "全体成员身份证复印件", "收入证明"]) {
      await page.getByLabel(doc).check();
    }
    await page.getByLabel(/授权民政部门核对家庭经济状况/).check();
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `form is ${overflow}px wider than the screen`);
    await page.getByRole("button", { name: "提交申请" }).click();

    // The status page: state, next deadline, timeline.
    await page.getByRole("heading", { name: /最低生活保障申请 \d+/ }).waitFor();
    const url = page.url();
    const id = url.match(/\/assistance\/mine\/(\d+)/)[1];
    assert.equal((await page.locator("#case-state").innerText()).trim(), "已提交，待受理");
    assert.match(await page.locator("#case-deadline").innerText(), /\d{4}-\d{2}-\d{2}/);
    assert.match(await page.locator("#timeline").innerText(), /提交申请/);
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `status page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shotsDir, `assistance-status-${screen.name}.png`), fullPage: true });

    // A photo of the household register, taken on the phone, uploaded to the application.
    await page.getByLabel("材料类型").selectOption("hukou");
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
    await page.getByLabel(/^照片/).setInputFiles({ name: "hukou.png", mimeType: "image/png", buffer: png });
    await page.getByRole("button", { name: "上传" }).click();
    await page.locator("#uploads", { hasText: "hukou.png" }).waitFor();

    // The street officer accepts it; the citizen sees the new state and the fast-track deadline.
    const staffCtx = await browser.newContext({ viewport: { width: screen.width, height: screen.height } });
    const staff = await staffCtx.newPage();
    await signInAs(staff, "yuzhong-street");
    await staff.goto(`${server.base}/assistance/cases/${id}`);
    await staff.getByRole("button", { name: "受理", exact: true }).click();
    await staff.getByRole("status").filter({ hasText: "已办理：受理" }).waitFor();
    await page.goto(`${server.base}/assistance/mine/${id}`);
    assert.equal((await page.locator("#case-state").innerText()).trim(), "已受理，待家庭经济状况核对");
    assert.match(await page.locator("#timeline").innerText(), /受理/);
    await page.goto(`${server.base}/assistance/mine`);
    assert.ok(await page.getByRole("link", { name: `最低生活保障申请 ${id}` }).isVisible());

    // The notification went to the outbox.
    await admin.goto(server.base + "/dev/inbox");
    assert.ok(await admin.locator("tbody tr", { hasText: phone }).filter({ hasText: "最低生活保障" }).count() >= 2);

    assert.deepEqual(errors, []);
    await staffCtx.close();
    await ctx.close();
    await adminCtx.close();
  });
});
