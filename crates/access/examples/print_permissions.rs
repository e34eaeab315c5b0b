//! Prints the permission table as Markdown, for docs/ACCESS.md.
fn main() {
    print!("{}", minzheng_access::roles::permission_table_markdown());
}
