//! Who may do what: the roles a user holds in a project, and one table of the actions each
//! role allows. Every route names its action; nothing else decides.

/// A user's role in a project.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Manager,
    Designer,
    Analyst,
    Enumerator,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Manager,
        Role::Designer,
        Role::Analyst,
        Role::Enumerator,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Designer => "designer",
            Role::Analyst => "analyst",
            Role::Enumerator => "enumerator",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// What a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create a project (site administrators only).
    CreateProject,
    /// Create user accounts (site administrators only).
    CreateUser,
    /// Delete a record (it is kept, marked deleted, and never taken again).
    DeleteSubmission,
    /// See a project and what it publishes.
    ReadProject,
    /// Give users roles in a project.
    ManageUsers,
    /// Enrol and revoke devices.
    ManageDevices,
    /// Publish an instrument version.
    Publish,
    /// Send records.
    Submit,
    /// Read the records.
    ReadSubmissions,
    /// Set review states and comment.
    Review,
    /// Read the audit log.
    ReadAudit,
}

/// Who is asking, as the table sees them: a site administrator may do everything; a device
/// only what an enumerator's tablet needs, in its own project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    SiteAdmin,
    Member(Role),
    Device,
    /// Signed in, but holding no role in the project.
    Outsider,
}

/// The one table of who may do what.
pub fn allowed(standing: Standing, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match standing {
        Standing::SiteAdmin => true,
        Standing::Outsider => false,
        Standing::Device => matches!(action, ReadProject | Submit),
        Standing::Member(role) => match action {
            CreateProject | CreateUser => false,
            DeleteSubmission => role == Manager,
            ReadProject => true,
            ManageUsers | ManageDevices | ReadAudit => role == Manager,
            Publish => matches!(role, Manager | Designer),
            Submit => matches!(role, Manager | Enumerator),
            ReadSubmissions => matches!(role, Manager | Analyst | Designer),
            Review => matches!(role, Manager | Analyst),
        },
    }
}
