// A district administrator downloads last month's payroll of the district as Excel and as CSV, for
// the cycle and for the whole month, the way Chromium does it (asking for gzip), and opens both
// files: the workbook is a whole zip with the line sheet and one row per line, the CSV has its
// byte-order mark, its header and one line per payment. Then signs out, and Back shows nothing of
// the pages seen before.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
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

/** The files of a zip archive, read from its central directory: { name: Buffer }. */
function unzip(bytes) {
  let end = bytes.length - 22;
  while (end >= 0 && bytes.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, "the zip has its end-of-directory record");
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const files = {};
  for (let i = 0; i < count; i++) {
    assert.equal(bytes.readUInt32LE(at), 0x02014b50, "a central directory entry");
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30);
    const comment = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    assert.equal(bytes.readUInt32LE(local), 0x04034b50, `${name}: its local header`);
    const data = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const stored = bytes.subarray(data, data + size);
    files[name] = method === 8 ? inflateRawSync(stored) : Buffer.from(stored);
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

/** Clicks the link and waits for the download it starts; answers the file's bytes and name. */
async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(await file.failure(), null, `${file.suggestedFilename()} downloaded whole`);
  return { bytes: readFileSync(await file.path()), name: file.suggestedFilename() };
}

function checkWorkbook({ bytes, name }, lines) {
  assert.ok(name.endsWith(".xlsx"), name);
  assert.equal(bytes.readUInt32LE(0), 0x04034b50, `${name} is a zip archive`);
  const files = unzip(bytes);
  assert.match(files["xl/workbook.xml"].toString("utf8"), /<sheet name="明细"/);
  const sheet = files["xl/worksheets/sheet1.xml"].toString("utf8");
  assert.equal(sheet.match(/<row /g).length, 1 + lines, `${name}: the header and one row per line`);
  assert.ok(sheet.includes("身份证号") && sheet.includes("金额(元)"), `${name}: the header`);
}

function checkCsv({ bytes, name }, lines) {
  assert.ok(name.endsWith(".csv"), name);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${name} starts with the byte-order mark`);
  const text = bytes.subarray(3).toString("utf8");
  assert.ok(text.endsWith("\r\n"), `${name} ends its last line`);
  const rows = text.slice(0, -2).split("\r\n");
  assert.equal(rows[0], "编号,项目,身份证号,区划,银行,类型,所属月份,金额(元),说明");
  assert.equal(rows.length, 1 + lines, `${name}: the header and one line per payment`);
}

for (const screen of SCREENS) {
  test(`the payroll downloads as Excel and CSV, and Back after sign-out shows nothing (${screen.width}px)`, async () => {
    const context = await browser.newContext({ viewport: { width: screen.width, height: screen.height }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const month = lastMonth();

    await page.goto(server.base + "/sign-in");
    await page.getByLabel("用户名").fill("yuzhong-admin");
    await page.getByLabel("密码").fill("Minzheng-2026");
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByRole("heading", { name: "我的账户" }).waitFor();

    await page.goto(server.base + "/benefits?month=" + month);
    const monthLines = Number(await page.locator("#cycles tfoot th").nth(2).textContent());
    assert.ok(monthLines > 0, "the month has lines");
    checkWorkbook(await download(page, page.getByRole("link", { name: "全月 Excel" })), monthLines);
    checkCsv(await download(page, page.locator("#cycles tfoot").getByRole("link", { name: "CSV" })), monthLines);

    await page.getByRole("link", { name: "渝中区（500103）" }).click();
    await page.getByRole("heading", { name: `${month} 月 渝中区（500103）发放名册` }).waitFor();
    const lines = Number(await page.locator("th", { hasText: "笔数" }).locator("xpath=following-sibling::td").textContent());
    assert.ok(lines > 0, "the cycle has lines");
    checkWorkbook(await download(page, page.getByRole("link", { name: "下载 Excel" })), lines);
    checkCsv(await download(page, page.getByRole("link", { name: "下载 CSV" })), lines);
    await page.screenshot({ path: join(shotsDir, `downloads-cycle-${screen.name}.png`), fullPage: true });

    // Signed out, Back asks the server again (nothing is kept): the sign-in page, not the payroll.
    await page.getByRole("button", { name: "退出" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/benefits"));
    await page.goBack();
    await page.waitForLoadState();
    assert.equal(await page.getByRole("heading", { name: /发放名册/ }).count(), 0, "Back shows no payroll");
    assert.equal(new URL(page.url()).pathname, "/sign-in", page.url());
    assert.deepEqual(errors, []);
    await context.close();
  });
}
