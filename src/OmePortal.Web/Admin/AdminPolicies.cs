namespace OmePortal.Web.Admin;

/// <summary>
/// Authorisation policies of the admin area. Folder conventions (see <see cref="AdminExtensions"/>) put
/// <see cref="TenantAdmin"/> on every page under /Admin and <see cref="SystemAdmin"/> on /Admin/System, so a
/// new admin page is protected without doing anything. Endpoints outside Razor Pages (a CSV export, an
/// image) must say <c>.RequireAuthorization(AdminPolicies.TenantAdmin)</c> themselves.
/// </summary>
public static class AdminPolicies
{
    /// <summary>An admin signed in with both factors (password and authenticator), any tenant or the system admin.</summary>
    public const string TenantAdmin = "AdminTenant";

    /// <summary>A system admin (no tenant of their own) signed in with both factors.</summary>
    public const string SystemAdmin = "AdminSystem";

    /// <summary>
    /// Any signed-in admin, also one with the password only: for the authenticator enrolment page and
    /// sign-out (the /Admin/Account pages), nothing else.
    /// </summary>
    public const string SignedIn = "AdminSignedIn";
}
