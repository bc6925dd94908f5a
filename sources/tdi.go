package sources

// The code lists of the treatment demand indicator (TDI protocol 3.0, EMCDDA
// Manuals No. 9), as the dataset treatment_demands stores them. Each list
// ends with Unknown, the protocol's "not known". Codes may be added; a code
// is never renamed, for stored rows, indicators and code tables use them.
var (
	TDICentreTypes       = []string{"outpatient", "inpatient", "prison", "gp", "low_threshold", "other", Unknown}
	TDIPreviouslyTreated = []string{"never", "previously", Unknown}
	TDIReferralSources   = []string{"self", "family_friends", "other_drug_centre", "gp", "hospital", "other_health",
		"social_services", "education", "court_police", "other", Unknown}
	TDILivingWith = []string{"alone", "parents", "partner", "partner_children", "alone_children", "friends_others",
		"other", Unknown}
	TDIYesNo         = []string{"yes", "no", Unknown}
	TDILivingWhere   = []string{"stable", "unstable", "institution", Unknown}
	TDINationalities = []string{"belgian", "other_eu", "non_eu", Unknown}
	TDILabourStatus  = []string{"employed", "student", "unemployed", "inactive", "other", Unknown}
	TDIEducation     = []string{"none", "primary", "lower_secondary", "upper_secondary", "higher", Unknown}
	// TDIDrugs are the primary (and secondary) drugs; other_hypnotics
	// includes pregabalin.
	TDIDrugs = []string{"heroin", "methadone", "buprenorphine", "fentanyl", "other_opioids",
		"cocaine_powder", "crack", "other_cocaine",
		"amphetamines", "methamphetamine", "mdma", "cathinones", "other_stimulants",
		"barbiturates", "benzodiazepines", "ghb", "other_hypnotics",
		"lsd", "ketamine", "other_hallucinogens",
		"volatile_inhalants", "cannabis", "synthetic_cannabinoids", "alcohol", "other", Unknown}
	TDIRoutes       = []string{"inject", "smoke", "eat_drink", "sniff", "other", Unknown}
	TDIFrequencies  = []string{"daily", "4_6_days", "2_3_days", "weekly_or_less", "not_used", Unknown}
	TDIInjecting    = []string{"never", "last_30_days", "last_12_months", "over_12_months", Unknown}
	TDISubstitution = []string{"never", "ever", "current", Unknown}
)
