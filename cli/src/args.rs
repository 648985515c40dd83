//! The command line, in one place for its users: the global flags and commands
//! ([`Cli`], with the top-level dispatch in `commands/`), every command group's arguments
//! (each defined next to its handler: `commands/`, `localnet`, `demo`, `setup`), and the
//! one-line form of a usage error.

pub use crate::commands::device::{DeviceCommand, SpecArgs, StakeCommand};
pub use crate::commands::lease::LeaseCommand;
pub use crate::commands::network::{NetworkCommand, NetworkInitCommand};
pub use crate::commands::proof::{ModelCommand, ReceiptsCommand, SessionCommand};
pub use crate::commands::wallet::Token;
pub use crate::commands::{Cli, Command};
pub use crate::demo::DemoArgs;
pub use crate::localnet::LocalnetArgs;
pub use crate::setup::NetworkInitArgs;

/// The message of a command line clap refused, without its decorations: the error and
/// its tips on one line, with no `error:` prefix, usage block or pointer to `--help`. A
/// command group given without its subcommand (clap answers with the group's help) is
/// named with the subcommands it takes.
pub fn usage_message(error: &clap::Error) -> String {
    let text = error.render().to_string();
    if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let usage = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("Usage: "))
            .unwrap_or("gpunet");
        let subcommands: Vec<&str> = text
            .lines()
            .skip_while(|line| !line.starts_with("Commands:"))
            .skip(1)
            .take_while(|line| !line.trim().is_empty())
            .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .collect();
        return format!(
            "a subcommand is required ({usage}): {}",
            subcommands.join(", ")
        );
    }
    text.lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// Every argument of every subcommand, as `gpunet sub sub --flag`, with no help text.
    fn undocumented(command: &clap::Command, path: &str, found: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                found.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            undocumented(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }

    #[test]
    fn every_argument_has_help() {
        let mut found = Vec::new();
        undocumented(&Cli::command(), "gpunet", &mut found);
        assert!(found.is_empty(), "arguments without help: {found:#?}");
    }

    #[test]
    fn green_is_a_switch_pair_and_the_last_one_wins() {
        let specs = |args: &[&str]| {
            let mut argv = vec![
                "gpunet",
                "device",
                "update",
                "11111111111111111111111111111112",
            ];
            argv.extend(args);
            match Cli::try_parse_from(argv).unwrap().command {
                Command::Device(DeviceCommand::Update { specs, .. }) => specs.green(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(specs(&[]), None);
        assert_eq!(specs(&["--green"]), Some(true));
        assert_eq!(specs(&["--no-green"]), Some(false));
        assert_eq!(specs(&["--green", "--no-green"]), Some(false));
        assert_eq!(specs(&["--no-green", "--green"]), Some(true));
    }

    #[test]
    fn a_usage_message_is_the_error_alone() {
        let error = Cli::try_parse_from(["gpunet", "lease", "hire"]).unwrap_err();
        let message = usage_message(&error);
        assert!(
            message.starts_with("the following required arguments were not provided:"),
            "{message}"
        );
        assert!(message.contains("--devices <DEVICES>"), "{message}");
        assert!(
            !message.contains("Usage:") && !message.contains("error:"),
            "{message}"
        );
    }
}
