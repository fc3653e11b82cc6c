using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace OmePortal.Data;

/// <summary>
/// The portal's model. One subclass per provider carries that provider's migrations
/// (<see cref="SqliteOmePortalDbContext"/>, <see cref="PostgresOmePortalDbContext"/>); services ask for this type.
/// </summary>
public abstract class OmePortalDbContext(DbContextOptions options) : IdentityDbContext<AdminUser, IdentityRole<Guid>, Guid>(options), Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.IDataProtectionKeyContext
{
    /// <summary>The Data Protection key ring (cookies, antiforgery tokens), shared by every node; each key's secret is encrypted under the master key.</summary>
    public DbSet<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey> DataProtectionKeys => Set<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>();

    public DbSet<AdminInvitation> AdminInvitations => Set<AdminInvitation>();
    public DbSet<AdminAuthenticatorUse> AdminAuthenticatorUses => Set<AdminAuthenticatorUse>();
    public DbSet<AdminPasskey> AdminPasskeys => Set<AdminPasskey>();
    public DbSet<AdminSession> AdminSessions => Set<AdminSession>();
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<TenantKeyRecord> TenantKeys => Set<TenantKeyRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<BrandTemplateRecord> BrandTemplates => Set<BrandTemplateRecord>();
    public DbSet<MessageRecord> Messages => Set<MessageRecord>();
    public DbSet<RecipientRecord> Recipients => Set<RecipientRecord>();
    public DbSet<OutboundMailRecord> OutboundMails => Set<OutboundMailRecord>();
    public DbSet<PasscodeChallenge> PasscodeChallenges => Set<PasscodeChallenge>();
    public DbSet<RecipientLockout> RecipientLockouts => Set<RecipientLockout>();
    public DbSet<RecipientLanguagePreference> RecipientLanguagePreferences => Set<RecipientLanguagePreference>();
    public DbSet<RecipientSession> RecipientSessions => Set<RecipientSession>();
    public DbSet<PasskeyCredential> PasskeyCredentials => Set<PasskeyCredential>();
    public DbSet<PasskeyChallenge> PasskeyChallenges => Set<PasskeyChallenge>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<MailFlowRuleRecord> MailFlowRules => Set<MailFlowRuleRecord>();
    public DbSet<TenantDomainRecord> TenantDomains => Set<TenantDomainRecord>();
    public DbSet<ReplySendRecord> ReplySends => Set<ReplySendRecord>();
    public DbSet<ReplySendRecipient> ReplySendRecipients => Set<ReplySendRecipient>();
    public DbSet<RecipientKeyRecord> RecipientKeys => Set<RecipientKeyRecord>();
    public DbSet<RecipientTrustAnchorRecord> RecipientTrustAnchors => Set<RecipientTrustAnchorRecord>();
    public DbSet<RecipientKeySettingsRecord> RecipientKeySettings => Set<RecipientKeySettingsRecord>();
    public DbSet<SigningIdentityRecord> SigningIdentities => Set<SigningIdentityRecord>();
    public DbSet<AttachmentPreviewRecord> AttachmentPreviews => Set<AttachmentPreviewRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // Admin accounts (ASP.NET Core Identity): the Identity tables under admin names, tied to tenants.
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<AdminUser>(e =>
        {
            e.ToTable("AdminUsers");
            e.HasIndex(u => u.TenantId);
            e.HasOne<Tenant>().WithMany().HasForeignKey(u => u.TenantId);
        });
        modelBuilder.Entity<IdentityRole<Guid>>().ToTable("AdminRoles");
        modelBuilder.Entity<IdentityUserRole<Guid>>().ToTable("AdminUserRoles");
        modelBuilder.Entity<IdentityUserClaim<Guid>>().ToTable("AdminUserClaims");
        modelBuilder.Entity<IdentityUserLogin<Guid>>().ToTable("AdminUserLogins");
        modelBuilder.Entity<IdentityUserToken<Guid>>().ToTable("AdminUserTokens");
        modelBuilder.Entity<IdentityRoleClaim<Guid>>().ToTable("AdminRoleClaims");
        modelBuilder.Entity<AdminAuthenticatorUse>(e =>
        {
            e.HasKey(u => u.AdminUserId);
            e.HasOne<AdminUser>().WithMany().HasForeignKey(u => u.AdminUserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AdminPasskey>(e =>
        {
            e.HasIndex(c => c.CredentialId).IsUnique();
            e.HasIndex(c => c.AdminUserId);
            e.Property(c => c.CredentialId).HasMaxLength(1023);
            e.Property(c => c.UserHandle).HasMaxLength(64);
            e.Property(c => c.Name).HasMaxLength(100);
            e.HasOne<AdminUser>().WithMany().HasForeignKey(c => c.AdminUserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AdminSession>(e =>
        {
            e.HasIndex(s => s.AdminUserId);
            e.Property(s => s.ClientAddress).HasMaxLength(64);
            e.Property(s => s.UserAgent).HasMaxLength(200);
            e.HasOne<AdminUser>().WithMany().HasForeignKey(s => s.AdminUserId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<AdminInvitation>(e =>
        {
            e.HasIndex(i => i.TokenHash).IsUnique();
            e.Property(i => i.Email).HasMaxLength(256);
            e.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId);
        });

        modelBuilder.Entity<Tenant>(e =>
        {
            e.HasIndex(t => t.Slug).IsUnique();
            e.Property(t => t.Slug).HasMaxLength(64);
            e.Property(t => t.Name).HasMaxLength(200);
        });
        modelBuilder.Entity<TenantKeyRecord>(e =>
        {
            e.HasKey(k => new { k.TenantId, k.Version });
            e.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId);
        });
        modelBuilder.Entity<ApiKeyRecord>(e =>
        {
            e.HasIndex(k => k.KeyHash).IsUnique();
            e.Property(k => k.Name).HasMaxLength(200);
            e.Property(k => k.Prefix).HasMaxLength(16);
            e.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId);
        });
        modelBuilder.Entity<BrandTemplateRecord>(e =>
        {
            e.HasIndex(b => new { b.TenantId, b.Name }).IsUnique();
            e.Property(b => b.Name).HasMaxLength(100);
            e.HasOne<Tenant>().WithMany().HasForeignKey(b => b.TenantId);
        });
        modelBuilder.Entity<MessageRecord>(e =>
        {
            e.HasIndex(m => new { m.TenantId, m.ReceivedAt });
            e.HasIndex(m => new { m.TenantId, m.DedupeHash }).IsUnique();
            e.HasIndex(m => m.ExpiresAt);
            e.HasIndex(m => m.ConversationId);
            e.Property(m => m.SenderAddress).HasMaxLength(320);
            e.Property(m => m.ContentBlob).HasMaxLength(200);
            e.Property(m => m.RenderBlob).HasMaxLength(200);
            e.HasOne<Tenant>().WithMany().HasForeignKey(m => m.TenantId);
            e.HasMany(m => m.Recipients).WithOne().HasForeignKey(r => r.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RecipientRecord>(e =>
        {
            e.HasIndex(r => r.TokenHash).IsUnique();
            e.HasIndex(r => new { r.TenantId, r.Address });
            e.Property(r => r.Address).HasMaxLength(320);
        });
        modelBuilder.Entity<PasscodeChallenge>(e =>
        {
            e.HasIndex(c => new { c.Address, c.CreatedAt });
            e.Property(c => c.Address).HasMaxLength(320);
            e.Property(c => c.ReferenceCode).HasMaxLength(16);
        });
        modelBuilder.Entity<RecipientLockout>(e =>
        {
            e.HasKey(l => l.Address);
            e.Property(l => l.Address).HasMaxLength(320);
        });
        modelBuilder.Entity<RecipientSession>(e =>
        {
            e.HasIndex(s => s.TokenHash).IsUnique();
            e.Property(s => s.Address).HasMaxLength(320);
            // Room for a passkey's inherited method: "passkey/oidc:" and a provider name of up to 24.
            e.Property(s => s.Method).HasMaxLength(64);
            e.HasIndex(s => s.Address);
            e.HasIndex(s => s.PasskeyId);
        });
        modelBuilder.Entity<PasskeyCredential>(e =>
        {
            e.HasIndex(c => c.CredentialId).IsUnique();
            e.HasIndex(c => c.Address);
            e.Property(c => c.CredentialId).HasMaxLength(1023);
            e.Property(c => c.UserHandle).HasMaxLength(64);
            e.Property(c => c.Address).HasMaxLength(320);
            e.Property(c => c.Name).HasMaxLength(100);
            e.Property(c => c.RegisteredWith).HasMaxLength(32);
        });
        modelBuilder.Entity<PasskeyChallenge>(e =>
        {
            e.HasIndex(c => c.ExpiresAt);
            e.Property(c => c.Purpose).HasMaxLength(16);
            e.Property(c => c.Address).HasMaxLength(320);
        });
        modelBuilder.Entity<AuditEvent>(e =>
        {
            e.HasIndex(a => new { a.TenantId, a.At });
            e.HasIndex(a => a.MessageId);
            e.Property(a => a.Actor).HasMaxLength(320);
            e.Property(a => a.Detail).HasMaxLength(500);
        });
        // Mail-flow rules and the tenant's own domains (rules helper).
        modelBuilder.Entity<MailFlowRuleRecord>(e =>
        {
            e.HasIndex(r => new { r.TenantId, r.Priority });
            e.HasIndex(r => new { r.TenantId, r.Name }).IsUnique();
            e.Property(r => r.Name).HasMaxLength(100);
            e.Property(r => r.ConditionsJson).HasMaxLength(100_000);
            e.Property(r => r.ActionJson).HasMaxLength(2_000);
            e.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId);
        });
        modelBuilder.Entity<TenantDomainRecord>(e =>
        {
            e.HasKey(d => new { d.TenantId, d.Domain });
            e.Property(d => d.Domain).HasMaxLength(253);
            e.HasOne<Tenant>().WithMany().HasForeignKey(d => d.TenantId);
        });
        // Reply quotas (issue 18): counted per address and per session over the last hour and day.
        modelBuilder.Entity<ReplySendRecord>(e =>
        {
            e.HasIndex(r => new { r.Address, r.SentAt });
            e.HasIndex(r => new { r.SessionId, r.SentAt });
            e.HasIndex(r => r.SentAt);
            e.Property(r => r.Address).HasMaxLength(320);
            e.HasMany(r => r.NewRecipients).WithOne().HasForeignKey(n => n.ReplySendId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ReplySendRecipient>(e =>
        {
            e.HasKey(n => new { n.ReplySendId, n.Address });
            e.Property(n => n.Address).HasMaxLength(320);
        });
        // Recipient key directory and signing identities (issue 22): one key per fingerprint per tenant.
        modelBuilder.Entity<RecipientKeyRecord>(e =>
        {
            e.HasIndex(k => new { k.TenantId, k.Fingerprint }).IsUnique();
            e.HasIndex(k => new { k.TenantId, k.Address });
            e.Property(k => k.Address).HasMaxLength(320);
            e.Property(k => k.Fingerprint).HasMaxLength(64);
            e.Property(k => k.Description).HasMaxLength(500);
            e.Property(k => k.AddedBy).HasMaxLength(320);
            e.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId);
        });
        modelBuilder.Entity<RecipientTrustAnchorRecord>(e =>
        {
            e.HasIndex(a => new { a.TenantId, a.Fingerprint }).IsUnique();
            e.Property(a => a.Fingerprint).HasMaxLength(64);
            e.Property(a => a.Subject).HasMaxLength(500);
            e.Property(a => a.AddedBy).HasMaxLength(320);
            e.HasOne<Tenant>().WithMany().HasForeignKey(a => a.TenantId);
        });
        modelBuilder.Entity<RecipientKeySettingsRecord>(e =>
        {
            e.HasKey(s => s.TenantId);
            e.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId);
        });
        modelBuilder.Entity<SigningIdentityRecord>(e =>
        {
            e.HasIndex(i => new { i.TenantId, i.Kind }).IsUnique();
            e.Property(i => i.Fingerprint).HasMaxLength(64);
            e.Property(i => i.Description).HasMaxLength(500);
            e.Property(i => i.AddedBy).HasMaxLength(320);
            e.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId);
        });
        // Attachment previews (issue 23): one row per attachment, removed with its message.
        modelBuilder.Entity<AttachmentPreviewRecord>(e =>
        {
            e.HasIndex(p => new { p.MessageId, p.AttachmentIndex }).IsUnique();
            e.Property(p => p.BlobPrefix).HasMaxLength(200);
            e.HasOne<MessageRecord>().WithMany().HasForeignKey(p => p.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<OutboundMailRecord>(e =>
        {
            e.HasIndex(o => new { o.Status, o.NextAttemptAt });
            e.HasIndex(o => o.MessageId);
            e.Property(o => o.ToAddress).HasMaxLength(320);
            e.Property(o => o.LastError).HasMaxLength(1000);
            e.Property(o => o.Language).HasMaxLength(16);
        });
        modelBuilder.Entity<RecipientLanguagePreference>(e =>
        {
            e.HasKey(p => p.AddressHash);
            e.Property(p => p.AddressHash).HasMaxLength(32);
            e.Property(p => p.Language).HasMaxLength(16);
        });
    }
}

public sealed class SqliteOmePortalDbContext(DbContextOptions<SqliteOmePortalDbContext> options) : OmePortalDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date type: store UTC ticks so that comparisons and ordering run in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

public sealed class PostgresOmePortalDbContext(DbContextOptions<PostgresOmePortalDbContext> options) : OmePortalDbContext(options);
