//! The server flags every server command takes, and the typed API client they make
//! ([`weft_client::Client`]); its errors become [`Failure::Usage`] with the message to show:
//! the server's own message for a refused request, or a hint to start a server when none
//! answers.

use weft_client::ClientError;

use crate::exit::Failure;
use crate::trust::TrustArgs;

pub use weft_client::{Client, DEFAULT_SERVER, segment};

/// The flags every server command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// URL of the Weft API server.
    #[arg(
        long,
        env = "WEFT_SERVER",
        default_value = DEFAULT_SERVER,
        value_name = "URL",
        global = true
    )]
    pub server: String,
    /// API token: an administrator's, or a tenant's (it chooses the tenant the command
    /// acts in); needed when the server has administrator tokens configured.
    #[arg(long, env = "WEFT_API_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The CA the server's certificate is signed by, over `https://`.
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// A client of the server named by `args`; a CA file that cannot be used is an error.
pub fn connect(args: &ServerArgs) -> Result<Client, Failure> {
    let trust = args.trust.trust()?;
    Ok(Client::new_trusting(&args.server, &trust).with_token(args.token.clone()))
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        Failure::Usage(e.to_string())
    }
}
