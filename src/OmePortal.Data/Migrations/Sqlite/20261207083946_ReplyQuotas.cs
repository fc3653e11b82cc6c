using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OmePortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReplyQuotas : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ReplySends",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    SessionId = table.Column<Guid>(type: "TEXT", nullable: false),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReplySends", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ReplySendRecipients",
                columns: table => new
                {
                    ReplySendId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReplySendRecipients", x => new { x.ReplySendId, x.Address });
                    table.ForeignKey(
                        name: "FK_ReplySendRecipients_ReplySends_ReplySendId",
                        column: x => x.ReplySendId,
                        principalTable: "ReplySends",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReplySends_Address_SentAt",
                table: "ReplySends",
                columns: new[] { "Address", "SentAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ReplySends_SentAt",
                table: "ReplySends",
                column: "SentAt");

            migrationBuilder.CreateIndex(
                name: "IX_ReplySends_SessionId_SentAt",
                table: "ReplySends",
                columns: new[] { "SessionId", "SentAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReplySendRecipients");

            migrationBuilder.DropTable(
                name: "ReplySends");
        }
    }
}
