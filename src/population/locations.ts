/**
 * Real US city / state / ZIP / area-code combinations the persona generator draws from, so a
 * generated shopper's city, state, ZIP and phone agree with each other (faker's location module
 * invents cities and pairs them with any state). `weight` is a rough relative metro size.
 */
export interface UsLocation {
  city: string;
  state: string;
  zip: string;
  area_code: string;
  weight: number;
}

// biome-ignore format: one table, one location per row
const ROWS: ReadonlyArray<readonly [city: string, state: string, zip: string, area: string, weight: number]> = [
  ["New York", "NY", "10025", "212", 6], ["Brooklyn", "NY", "11215", "718", 5], ["Ithaca", "NY", "14850", "607", 1],
  ["Buffalo", "NY", "14214", "716", 2], ["Los Angeles", "CA", "90026", "213", 6], ["San Diego", "CA", "92104", "619", 3],
  ["San Francisco", "CA", "94110", "415", 3], ["Sacramento", "CA", "95816", "916", 2], ["Fresno", "CA", "93704", "559", 2],
  ["Oakland", "CA", "94610", "510", 2], ["Chicago", "IL", "60614", "773", 5], ["Springfield", "IL", "62704", "217", 1],
  ["Houston", "TX", "77008", "713", 5], ["Austin", "TX", "78704", "512", 3], ["Dallas", "TX", "75206", "214", 4],
  ["San Antonio", "TX", "78209", "210", 3], ["El Paso", "TX", "79912", "915", 2], ["Lubbock", "TX", "79401", "806", 1],
  ["Phoenix", "AZ", "85016", "602", 4], ["Tucson", "AZ", "85719", "520", 2], ["Flagstaff", "AZ", "86001", "928", 1],
  ["Philadelphia", "PA", "19147", "215", 4], ["Pittsburgh", "PA", "15217", "412", 2], ["Jacksonville", "FL", "32205", "904", 2],
  ["Miami", "FL", "33133", "305", 4], ["Tampa", "FL", "33606", "813", 3], ["Orlando", "FL", "32803", "407", 3],
  ["Columbus", "OH", "43215", "614", 2], ["Cleveland", "OH", "44113", "216", 2], ["Cincinnati", "OH", "45202", "513", 2],
  ["Indianapolis", "IN", "46220", "317", 2], ["Charlotte", "NC", "28203", "704", 2], ["Raleigh", "NC", "27605", "919", 2],
  ["Asheville", "NC", "28801", "828", 1], ["Seattle", "WA", "98103", "206", 3], ["Spokane", "WA", "99203", "509", 1],
  ["Denver", "CO", "80206", "303", 3], ["Colorado Springs", "CO", "80903", "719", 1], ["Boston", "MA", "02116", "617", 3],
  ["Worcester", "MA", "01602", "508", 1], ["Nashville", "TN", "37206", "615", 2], ["Memphis", "TN", "38104", "901", 2],
  ["Detroit", "MI", "48201", "313", 3], ["Grand Rapids", "MI", "49503", "616", 1], ["Portland", "OR", "97214", "503", 2],
  ["Eugene", "OR", "97401", "541", 1], ["Las Vegas", "NV", "89104", "702", 2], ["Reno", "NV", "89501", "775", 1],
  ["Louisville", "KY", "40204", "502", 2], ["Baltimore", "MD", "21218", "410", 2], ["Milwaukee", "WI", "53211", "414", 2],
  ["Madison", "WI", "53703", "608", 1], ["Albuquerque", "NM", "87106", "505", 1], ["Kansas City", "MO", "64111", "816", 2],
  ["St. Louis", "MO", "63104", "314", 2], ["Atlanta", "GA", "30307", "404", 4], ["Athens", "GA", "30601", "706", 1],
  ["Savannah", "GA", "31401", "912", 1], ["Omaha", "NE", "68131", "402", 1], ["Minneapolis", "MN", "55408", "612", 3],
  ["Duluth", "MN", "55802", "218", 1], ["New Orleans", "LA", "70115", "504", 2], ["Baton Rouge", "LA", "70808", "225", 1],
  ["Salt Lake City", "UT", "84105", "801", 2], ["Boise", "ID", "83702", "208", 1], ["Birmingham", "AL", "35205", "205", 1],
  ["Oklahoma City", "OK", "73106", "405", 2], ["Tulsa", "OK", "74104", "918", 1], ["Richmond", "VA", "23220", "804", 1],
  ["Virginia Beach", "VA", "23451", "757", 2], ["Burlington", "VT", "05401", "802", 1], ["Portland", "ME", "04101", "207", 1],
  ["Anchorage", "AK", "99501", "907", 1], ["Honolulu", "HI", "96814", "808", 1], ["Des Moines", "IA", "50312", "515", 1],
  ["Little Rock", "AR", "72205", "501", 1], ["Charleston", "SC", "29401", "843", 1], ["Providence", "RI", "02906", "401", 1],
  ["Hartford", "CT", "06106", "860", 1], ["Newark", "NJ", "07102", "973", 2], ["Wilmington", "DE", "19801", "302", 1],
  ["Washington", "DC", "20009", "202", 2], ["Fargo", "ND", "58103", "701", 1], ["Sioux Falls", "SD", "57104", "605", 1],
  ["Billings", "MT", "59101", "406", 1], ["Bozeman", "MT", "59715", "406", 1], ["Cheyenne", "WY", "82001", "307", 1],
  ["Manchester", "NH", "03101", "603", 1], ["Charleston", "WV", "25301", "304", 1], ["Jackson", "MS", "39202", "601", 1],
  ["Wichita", "KS", "67202", "316", 1],
];

export const US_LOCATIONS: readonly UsLocation[] = ROWS.map(([city, state, zip, area_code, weight]) => ({
  city,
  state,
  zip,
  area_code,
  weight,
}));
