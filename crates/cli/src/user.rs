//! `minzheng user …`: staff accounts from the command line, through the same services as the
//! pages. The command line acts as the system; passwords are read from standard input, never
//! taken as arguments (they would stay in the shell history and the process list).

use clap::Subcommand;
use minzheng_access::accounts::{self, AccountFilter, NewAccount};
use minzheng_access::{AccessError, Principal, Role};
use minzheng_store::Db;
use std::io::BufRead;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates a staff account; the password is read from the first line of standard input.
    Add {
        /// Sign-in name.
        username: String,
        /// Name shown on pages.
        #[arg(long)]
        name: String,
        /// Role: city_admin, district_admin, district_reviewer, street_officer, community_worker,
        /// institution_staff, marriage_registrar, auditor.
        #[arg(long)]
        role: String,
        /// Region code prefix the account works in (2, 6, 9 or 12 digits by role).
        #[arg(long)]
        scope: String,
        /// Institution or marriage office id, for those roles.
        #[arg(long)]
        unit: Option<i64>,
        /// Mobile number.
        #[arg(long)]
        phone: Option<String>,
    },
    /// Lists staff accounts.
    List {
        /// Only this role.
        #[arg(long)]
        role: Option<String>,
    },
    /// Stops an account from signing in and ends its sessions.
    Disable {
        /// Sign-in name.
        username: String,
    },
    /// Lets a disabled account sign in again.
    Enable {
        /// Sign-in name.
        username: String,
    },
    /// Sets a new password (first line of standard input), unlocks the account, ends its sessions.
    ResetPassword {
        /// Sign-in name.
        username: String,
    },
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("无法读取密码：{e}"))?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    if pw.is_empty() {
        return Err("请在标准输入的第一行提供密码，例如：echo '新密码' | minzheng user …".into());
    }
    Ok(pw)
}

fn role(id: &str) -> Result<Role, String> {
    Role::from_id(id).filter(|r| r.is_staff()).ok_or_else(|| {
        let ids: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| r.is_staff())
            .map(|r| r.id())
            .collect();
        format!("未知角色 {id}：可用的有 {}", ids.join("、"))
    })
}

fn find(db: &Db, username: &str) -> Result<i64, String> {
    db.read(|tx| accounts::find_by_username(tx, username))
        .map_err(|e| e.to_string())?
        .map(|a| a.id)
        .ok_or_else(|| format!("没有用户名为 {username} 的账户"))
}

pub fn run(db: &Db, command: UserCommand) -> Result<(), String> {
    let system = Principal::system("cli");
    let err = |e: AccessError| match e {
        AccessError::Internal(c) => c,
        other => other.to_string(),
    };
    match command {
        UserCommand::Add {
            username,
            name,
            role: r,
            scope,
            unit,
            phone,
        } => {
            let new = NewAccount {
                username,
                display_name: name,
                role: role(&r)?,
                scope,
                unit_id: unit,
                password: read_password()?,
                phone,
            };
            let a = db
                .write(|tx| accounts::create(tx, &system, &new))
                .map_err(err)?;
            println!(
                "已创建账户 {}（{}，辖区 {}）",
                a.username,
                a.role.name_zh(),
                a.scope
            );
        }
        UserCommand::List { role: r } => {
            let filter = AccountFilter {
                role: r.as_deref().map(role).transpose()?,
                text: None,
            };
            let list = db
                .read(|tx| accounts::list(tx, &system, &filter))
                .map_err(err)?;
            println!(
                "{:<24} {:<16} {:<12} {:<14} 状态",
                "用户名", "角色", "辖区", "姓名"
            );
            for a in &list {
                println!(
                    "{:<24} {:<16} {:<12} {:<14} {}",
                    a.username,
                    a.role.id(),
                    a.scope,
                    a.display_name,
                    if a.disabled { "已停用" } else { "正常" }
                );
            }
            println!("共 {} 个账户", list.len());
        }
        UserCommand::Disable { username } => {
            let id = find(db, &username)?;
            db.write(|tx| accounts::set_disabled(tx, &system, id, true))
                .map_err(err)?;
            println!("已停用 {username}，其所有登录已退出");
        }
        UserCommand::Enable { username } => {
            let id = find(db, &username)?;
            db.write(|tx| accounts::set_disabled(tx, &system, id, false))
                .map_err(err)?;
            println!("已启用 {username}");
        }
        UserCommand::ResetPassword { username } => {
            let id = find(db, &username)?;
            let pw = read_password()?;
            db.write(|tx| accounts::reset_password(tx, &system, id, &pw))
                .map_err(err)?;
            println!("已重置 {username} 的密码，并退出其所有登录");
        }
    }
    Ok(())
}
