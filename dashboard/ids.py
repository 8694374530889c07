"""Every component id of the app in one place, so a typo is an import error."""

# Shell (present on every page)
URL = "url"
VIEW_STORE = "view-store"  # {"dataset_id": int | None, "filters": {...}} mirrored in the URL
DATASET_LABEL = "dataset-label"
NAV = "nav"
NAV_TOGGLE = "nav-toggle"  # the menu button of a narrow screen
NAV_COLLAPSE = "nav-collapse"
FILTER_BAR = "filter-bar"
FILTER_TOGGLE = "filter-toggle"  # "Filters" button of a narrow screen
FILTER_COLLAPSE = "filter-collapse"
FILTER_GENDER = "filter-gender"
FILTER_SEGMENT = "filter-segment"
FILTER_RFM_SEGMENT = "filter-rfm-segment"
FILTER_COUNTRY = "filter-country"
FILTER_PLAN = "filter-plan"
FILTER_CUSTOMER_ID = "filter-customer-id"
FILTER_RESET = "filter-reset"
FILTER_COUNT = "filter-count"
FILTER_MESSAGE = "filter-message"
VIEW_NOTICE = "view-notice"  # what a link asked for that the data set does not have
DEMO_BANNER = "demo-banner"

FILTER_INPUTS = {
    "gender": FILTER_GENDER,
    "segment": FILTER_SEGMENT,
    "rfm_segment": FILTER_RFM_SEGMENT,
    "country": FILTER_COUNTRY,
    "plan": FILTER_PLAN,
}
