"""The controlled-substance ledger (ketamine and esketamine are Schedule III, reference §5).

- ``Supplier``: who shipped the stock, with name, address and DEA registration number
  (receipt records need all three, 21 CFR 1304.22(c) via S45; reference rule 26).
- ``StockContainer``: one received vial or esketamine kit: drug, concentration, size, lot,
  expiry, optional NDC. An esketamine kit records its device count; its volume is in mL like
  a vial (28 mg per 0.2 mL device, NDC 50458-028, S13), so one ledger arithmetic serves both.
- ``LedgerEntry``: one movement of one container (receive, draw, administer, waste, return,
  count adjustment). Entries are append-only: a correction is a new entry that names the one
  it corrects. ``balance_after_ml`` (stock in the container) and ``drawn_after_ml`` (drawn up,
  not yet administered or wasted) can never be negative: services lock the container row and
  compute with the pure core, the database refuses a negative balance (CheckConstraint), and
  the per-container ``sequence`` is unique, so two writers working from the same stale balance
  cannot both commit.
- ``InventoryCount`` + ``InventoryCountLine``: a physical count (complete inventory or spot
  count), dated, at opening or close of business (21 CFR 1304.11, S47).
- ``Discrepancy``: a count that did not match the ledger, with its loss/theft workflow and
  DEA deadlines (88 FR 40707, S48a).
- ``LedgerSettings``: the clinic's ledger policy (inventory interval, waste witness, count
  tolerance); without a row the cited defaults of ``clinical.controlled.ledger.LedgerPolicy``
  apply.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ketacare.audit.models import ClinicalRecord
from ketacare.controlled_substances.dea import validate_dea_number


class Drug(models.TextChoices):
    RACEMIC_KETAMINE = "racemic_ketamine", "Ketamine HCl (racemic)"
    ESKETAMINE = "esketamine", "Esketamine (SPRAVATO nasal spray)"


class Supplier(ClinicalRecord):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    dea_number = models.CharField(
        "DEA registration number", max_length=9, validators=[validate_dea_number]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "dea_number", "name", "address"], name="unique_supplier_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dea_number})"


class StockContainer(ClinicalRecord):
    drug = models.CharField(max_length=20, choices=Drug.choices)
    concentration_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2)
    description = models.CharField(max_length=120)  # e.g. "10 mL multi-dose vial"
    size_ml = models.DecimalField(max_digits=7, decimal_places=3)
    device_count = models.PositiveSmallIntegerField(null=True, blank=True)  # esketamine kits
    lot = models.CharField(max_length=40)
    expires_on = models.DateField()
    ndc = models.CharField("NDC", max_length=14, blank=True)
    received_at = models.DateTimeField()
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="containers")

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="container_concentration_positive",
                condition=Q(concentration_mg_per_ml__gt=0),
            ),
            models.CheckConstraint(name="container_size_positive", condition=Q(size_ml__gt=0)),
            models.CheckConstraint(
                name="esketamine_container_counts_devices",
                condition=(Q(drug="esketamine") & Q(device_count__gte=1))
                | (~Q(drug="esketamine") & Q(device_count__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["clinic", "drug", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.get_drug_display()} {self.concentration_mg_per_ml} mg/mL lot {self.lot}"


class EntryKind(models.TextChoices):
    RECEIVE = "receive", "Receive"
    DRAW = "draw", "Draw"
    ADMINISTER = "administer", "Administer"
    WASTE = "waste", "Waste"
    RETURN = "return", "Return"
    COUNT_ADJUSTMENT = "count_adjustment", "Count adjustment"


class LedgerEntry(ClinicalRecord):
    """One movement; ``created_by`` is the person who made it (the actor)."""

    container = models.ForeignKey(StockContainer, on_delete=models.PROTECT, related_name="entries")
    sequence = models.PositiveIntegerField()  # 1, 2, 3... per container, in recorded order
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    occurred_at = models.DateTimeField()
    quantity_ml = models.DecimalField(max_digits=9, decimal_places=3)  # signed for adjustments
    quantity_mg = models.DecimalField(max_digits=14, decimal_places=5)
    balance_after_ml = models.DecimalField(max_digits=9, decimal_places=3)
    drawn_after_ml = models.DecimalField(max_digits=9, decimal_places=3)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="controlled_substance_entries",
        null=True,
        blank=True,
    )
    session = models.ForeignKey(
        "treatment.TreatmentSession",
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        null=True,
        blank=True,
    )
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="corrections", null=True, blank=True
    )
    count_line = models.ForeignKey(
        "InventoryCountLine",
        on_delete=models.PROTECT,
        related_name="adjustments",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                name="ledger_balance_never_negative", condition=Q(balance_after_ml__gte=0)
            ),
            models.CheckConstraint(
                name="ledger_drawn_never_negative", condition=Q(drawn_after_ml__gte=0)
            ),
            models.CheckConstraint(
                name="ledger_quantity_sign",
                condition=(Q(kind="count_adjustment") & ~Q(quantity_ml=0))
                | (~Q(kind="count_adjustment") & Q(quantity_ml__gt=0)),
            ),
            models.CheckConstraint(
                name="ledger_adjustment_has_reason",
                condition=~Q(kind="count_adjustment") | ~Q(reason=""),
            ),
            models.CheckConstraint(
                name="ledger_administration_names_patient",
                condition=~Q(kind="administer") | Q(patient__isnull=False),
            ),
            models.CheckConstraint(
                name="ledger_witness_is_not_actor",
                condition=Q(witness__isnull=True) | ~Q(witness=F("created_by")),
            ),
            models.CheckConstraint(name="ledger_sequence_positive", condition=Q(sequence__gte=1)),
            models.UniqueConstraint(
                fields=["container", "sequence"], name="ledger_sequence_unique_per_container"
            ),
            models.UniqueConstraint(
                fields=["container"],
                condition=Q(kind="receive"),
                name="ledger_one_receipt_per_container",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "occurred_at"]),
            models.Index(fields=["clinic", "kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_ml} mL, container {self.container_id} #{self.sequence}"


class BusinessTime(models.TextChoices):
    OPENING = "opening", "Opening of business"
    CLOSING = "closing", "Close of business"


class InventoryCount(ClinicalRecord):
    """``created_by`` counted; ``witness`` (optional) is a second staff member present."""

    counted_at = models.DateTimeField()
    business_time = models.CharField(max_length=10, choices=BusinessTime.choices)
    complete = models.BooleanField()  # a complete (biennial/annual) inventory, not a spot count
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="count_witness_is_not_counter",
                condition=Q(witness__isnull=True) | ~Q(witness=F("created_by")),
            )
        ]
        indexes = [models.Index(fields=["clinic", "complete", "-counted_at"])]


class InventoryCountLine(ClinicalRecord):
    count = models.ForeignKey(InventoryCount, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(
        StockContainer, on_delete=models.PROTECT, related_name="count_lines"
    )
    expected_ml = models.DecimalField(max_digits=9, decimal_places=3)
    counted_ml = models.DecimalField(max_digits=9, decimal_places=3)
    discrepancy_ml = models.DecimalField(max_digits=9, decimal_places=3)  # counted - expected
    # Schedule III-V opened containers may be estimated (21 CFR 1304.11(e), S47).
    estimated = models.BooleanField(default=False)
    status = models.CharField(max_length=10)  # balanced / shortage / surplus (core CountStatus)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["count", "container"], name="one_line_per_container"),
            models.CheckConstraint(name="counted_not_negative", condition=Q(counted_ml__gte=0)),
        ]


class DiscrepancyClassification(models.TextChoices):
    UNEXPLAINED = "unexplained", "Unexplained (under investigation)"
    LOSS = "loss", "Loss (not significant)"
    THEFT = "theft", "Theft"
    SIGNIFICANT_LOSS = "significant_loss", "Significant loss"


REPORTABLE_CLASSIFICATIONS = (
    DiscrepancyClassification.THEFT,
    DiscrepancyClassification.SIGNIFICANT_LOSS,
)


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Discrepancy(ClinicalRecord):
    """Opened by a count; changes in place only through services (each change audited)."""

    count_line = models.OneToOneField(
        InventoryCountLine, on_delete=models.PROTECT, related_name="discrepancy"
    )
    container = models.ForeignKey(
        StockContainer, on_delete=models.PROTECT, related_name="discrepancies"
    )
    discrepancy_ml = models.DecimalField(max_digits=9, decimal_places=3)
    discrepancy_mg = models.DecimalField(max_digits=14, decimal_places=5)
    discovered_at = models.DateTimeField()
    # Deadlines if the discrepancy is theft or a significant loss (88 FR 40707, S48a).
    written_notice_due_on = models.DateField()
    form_106_due_on = models.DateField()
    classification = models.CharField(
        max_length=20,
        choices=DiscrepancyClassification.choices,
        default=DiscrepancyClassification.UNEXPLAINED,
    )
    classified_at = models.DateTimeField(null=True, blank=True)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    investigation_notes = models.TextField(blank=True)
    dea_notice_sent_on = models.DateField(null=True, blank=True)
    form_106_filed_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closing_notes = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "discrepancies"
        constraints = [
            models.CheckConstraint(
                name="closed_discrepancy_has_notes_and_closer",
                condition=~Q(status="closed")
                | (~Q(closing_notes="") & Q(closed_at__isnull=False) & Q(closed_by__isnull=False)),
            ),
            models.CheckConstraint(name="discrepancy_not_zero", condition=~Q(discrepancy_ml=0)),
        ]
        indexes = [models.Index(fields=["clinic", "status"])]

    @property
    def reportable(self) -> bool:
        return self.classification in REPORTABLE_CLASSIFICATIONS


class LedgerSettings(models.Model):
    """The clinic's ledger policy; a clinic setting, changed only by its service (audited)."""

    clinic = models.OneToOneField("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    inventory_interval_years = models.PositiveSmallIntegerField()
    waste_witness_required = models.BooleanField()
    count_tolerance_ml = models.DecimalField(max_digits=7, decimal_places=3)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "ledger settings"
        constraints = [
            models.CheckConstraint(
                name="inventory_interval_one_or_two_years",
                condition=Q(inventory_interval_years__in=[1, 2]),
            ),
            models.CheckConstraint(
                name="count_tolerance_not_negative", condition=Q(count_tolerance_ml__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"ledger settings of clinic {self.clinic_id}"
