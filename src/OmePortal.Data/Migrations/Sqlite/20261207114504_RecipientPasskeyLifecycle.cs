using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OmePortal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RecipientPasskeyLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "PasskeyId",
                table: "RecipientSessions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RegisteredWith",
                table: "PasskeyCredentials",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_RecipientSessions_Address",
                table: "RecipientSessions",
                column: "Address");

            migrationBuilder.CreateIndex(
                name: "IX_RecipientSessions_PasskeyId",
                table: "RecipientSessions",
                column: "PasskeyId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RecipientSessions_Address",
                table: "RecipientSessions");

            migrationBuilder.DropIndex(
                name: "IX_RecipientSessions_PasskeyId",
                table: "RecipientSessions");

            migrationBuilder.DropColumn(
                name: "PasskeyId",
                table: "RecipientSessions");

            migrationBuilder.DropColumn(
                name: "RegisteredWith",
                table: "PasskeyCredentials");
        }
    }
}
